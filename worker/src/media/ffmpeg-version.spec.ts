import { describe, expect, it } from 'vitest';
import { parseFfmpegVersion } from './ffmpeg-version';

describe('parseFfmpegVersion', () => {
  it('reads the version word of the first line', () => {
    expect(parseFfmpegVersion('ffmpeg version 5.1.8-0+deb12u1 Copyright (c) 2000-2025 the FFmpeg developers\nbuilt with gcc')).toBe('5.1.8-0+deb12u1');
  });
  it('falls back to the first line for builds that word it differently', () => {
    expect(parseFfmpegVersion('ffmpeg N-112233-gabc\n')).toBe('ffmpeg N-112233-gabc');
  });
});
