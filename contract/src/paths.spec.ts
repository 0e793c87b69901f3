import { describe, expect, it } from 'vitest';
import { baseName, compareNames, InvalidNameError, InvalidPathError, isWithin, joinPath, normalizePath, normalizeTypedPath, parentOf, parsePath, validateName } from './paths';

describe('validateName', () => {
  it('accepts any Unicode and stores it in NFC', () => {
    expect(validateName('Café — 東京 🎬.mp4')).toBe('Café — 東京 🎬.mp4');
    expect(validateName('Cafe\u0301.mov')).toBe('Caf\u00e9.mov');
    expect(validateName('a..b')).toBe('a..b');
  });

  it.each([
    ['', 'a name cannot be empty'],
    ['..', 'a name cannot be "." or ".."'],
    ['.', 'a name cannot be "." or ".."'],
    ['a/b', 'a name cannot contain "/"'],
    ['a\0b', 'a name cannot contain a NUL character'],
    ['line\nbreak', 'a name cannot contain control characters'],
    ['bell\u0007', 'a name cannot contain control characters'],
    ['c1\u0085', 'a name cannot contain control characters'],
  ])('refuses %j: %s', (name, rule) => {
    expect(() => validateName(name)).toThrow(new InvalidNameError(name, rule));
  });

  it('counts the 255-byte limit in UTF-8 bytes, not characters', () => {
    expect(validateName('é'.repeat(127))).toHaveLength(127); // 254 bytes
    expect(() => validateName('é'.repeat(128))).toThrow('a name can be at most 255 bytes in UTF-8 (this one is 256)');
    expect(() => validateName('x'.repeat(256))).toThrow('this one is 256');
  });

  it('shows control characters visibly in the message', () => {
    expect(() => validateName('a\nb')).toThrow('name "a\\u000ab" is refused');
  });
});

describe('paths', () => {
  it('normalises slashes', () => {
    expect(parsePath('/')).toEqual([]);
    expect(parsePath('')).toEqual([]);
    expect(parsePath('/a//b/')).toEqual(['a', 'b']);
    expect(normalizePath('a/b')).toBe('/a/b');
  });

  it('refuses dot segments and bad names with the rule', () => {
    expect(() => parsePath('/a/../etc')).toThrow(new InvalidPathError('/a/../etc', 'a path cannot contain "." or ".." segments'));
    expect(() => parsePath('/a/./b')).toThrow('a path cannot contain "." or ".." segments');
    expect(() => parsePath('/a\u0001')).toThrow('path "/a\\u0001" is refused: a name cannot contain control characters');
  });

  it('joins a folder and a name', () => {
    expect(joinPath('/', 'a')).toBe('/a');
    expect(joinPath('/a', 'b')).toBe('/a/b');
  });
});

describe('paths as people type them', () => {
  it('are made absolute without a trailing slash; "." and empty segments are dropped', () => {
    expect(normalizeTypedPath('videos/2026/')).toBe('/videos/2026');
    expect(normalizeTypedPath('//videos//./a.mp4')).toBe('/videos/a.mp4');
    expect(normalizeTypedPath('')).toBe('/');
  });

  it('refuse ".." instead of guessing', () => {
    expect(() => normalizeTypedPath('/videos/../etc')).toThrow(new InvalidPathError('/videos/../etc', 'a path cannot contain ".." segments'));
  });
});

describe('parent, name and scope of a path', () => {
  it('split a path into its folder and its name', () => {
    expect(parentOf('/a/b.mp4')).toBe('/a');
    expect(parentOf('/b.mp4')).toBe('/');
    expect(parentOf('/')).toBe('/');
    expect(baseName('/a/b.mp4')).toBe('b.mp4');
    expect(baseName('/')).toBe('');
  });

  it('tell whether a path lies in a folder', () => {
    expect(isWithin('/a/b', '/a')).toBe(true);
    expect(isWithin('/a', '/a')).toBe(true);
    expect(isWithin('/ab', '/a')).toBe(false);
    expect(isWithin('/x', '/')).toBe(true);
  });
});

describe('the order names are listed in', () => {
  it('takes numbers by their value, and case and accents aside', () => {
    expect(['clip-10.mp4', 'clip-2.mp4', 'Clip-1.mp4', 'été 3.mp4', 'ete 2.mp4', 'clip-1b.mp4'].sort(compareNames)).toEqual(['Clip-1.mp4', 'clip-1b.mp4', 'clip-2.mp4', 'clip-10.mp4', 'ete 2.mp4', 'été 3.mp4']);
  });
});
