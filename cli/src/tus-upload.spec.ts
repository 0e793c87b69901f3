import { describe, expect, it } from 'vitest';
import { uploadFingerprint } from './tus-upload';

describe('uploadFingerprint', () => {
  const file = { absolute: '/home/me/a.mp4', size: 10, mtimeMs: 1700000000123.456, folder: '/videos', name: 'a.mp4' };

  it('names the server, the local file (path, size, mtime) and the target path', () => {
    expect(uploadFingerprint('http://nas:8080', file)).toBe('nebula\nhttp://nas:8080\n/home/me/a.mp4\n10\n1700000000123\n/videos/a.mp4');
    expect(uploadFingerprint('http://nas:8080', { ...file, folder: '/' })).toBe('nebula\nhttp://nas:8080\n/home/me/a.mp4\n10\n1700000000123\n/a.mp4');
  });

  it('changes when any of them does, so a changed file starts over', () => {
    const base = uploadFingerprint('http://nas:8080', file);
    expect(uploadFingerprint('http://nas:8080', { ...file, size: 11 })).not.toBe(base);
    expect(uploadFingerprint('http://nas:8080', { ...file, mtimeMs: 1700000001000 })).not.toBe(base);
    expect(uploadFingerprint('http://nas:8080', { ...file, folder: '/other' })).not.toBe(base);
    expect(uploadFingerprint('http://other:8080', file)).not.toBe(base);
  });
});
