import { describe, expect, it } from 'vitest';
import { joinRemote, normaliseRemotePath, remoteBasename, remoteDirname } from './remote-path';

describe('remote paths', () => {
  it('are absolute without a trailing slash, whatever the user typed', () => {
    expect(normaliseRemotePath('videos/2026/')).toBe('/videos/2026');
    expect(normaliseRemotePath('//videos//./a.mp4')).toBe('/videos/a.mp4');
    expect(normaliseRemotePath('')).toBe('/');
    expect(normaliseRemotePath('/')).toBe('/');
  });

  it('refuse ".." instead of guessing', () => {
    expect(() => normaliseRemotePath('/videos/../etc')).toThrow('a Nebula path cannot contain "..": /videos/../etc');
  });

  it('join, split into folder and name', () => {
    expect(joinRemote('/', 'a', 'b c.mp4')).toBe('/a/b c.mp4');
    expect(joinRemote('/x/', 'y')).toBe('/x/y');
    expect(remoteDirname('/a/b.mp4')).toBe('/a');
    expect(remoteDirname('/b.mp4')).toBe('/');
    expect(remoteDirname('/')).toBe('/');
    expect(remoteBasename('/a/b.mp4')).toBe('b.mp4');
    expect(remoteBasename('/')).toBe('');
  });
});
