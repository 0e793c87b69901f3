import { describe, expect, it } from 'vitest';
import { mpvFfmpegMajorOf, parseStartTime, playerFailed, playerLaunch } from './player';

describe('playerFailed', () => {
  it('takes mpv quit by the user (exit 4) as a normal end, and other non-zero codes as failures', () => {
    expect(playerFailed('/usr/bin/mpv', 0)).toBe(false);
    expect(playerFailed('/usr/bin/mpv', 4)).toBe(false);
    expect(playerFailed('/usr/bin/mpv', 2)).toBe(true);
    expect(playerFailed('/usr/bin/vlc', 4)).toBe(true);
    expect(playerFailed('/usr/bin/vlc', 0)).toBe(false);
  });
});

describe('playerLaunch', () => {
  const urls = { hls: 'http://nebula/hls/f/master.m3u8', original: 'http://nebula/api/files/f/content' };

  it('gives VLC the HLS stream, with the start time it understands', () => {
    expect(playerLaunch('/usr/bin/vlc', urls, 754, null)).toEqual({ args: ['--start-time=754', urls.hls], url: urls.hls, source: 'hls' });
    expect(playerLaunch('/usr/bin/vlc', urls, null, null)).toEqual({ args: [urls.hls], url: urls.hls, source: 'hls' });
  });

  it('gives an mpv built with FFmpeg before 8 the original, which it can seek in, and says why', () => {
    expect(playerLaunch('/usr/bin/mpv', urls, 7, 5)).toEqual({
      args: ['--start=7', urls.original],
      url: urls.original,
      source: 'original',
      reason: 'this mpv is built with FFmpeg 5, which cannot seek in fMP4 HLS (FFmpeg 8 can): the original seeks by byte range',
    });
    expect(playerLaunch('/usr/bin/mpv', urls, null, null)).toMatchObject({ args: [urls.original], source: 'original' });
  });

  it('gives an mpv built with FFmpeg 8 or later the HLS stream', () => {
    expect(playerLaunch('/opt/mpv/mpv', urls, 7.5, 8)).toEqual({ args: ['--start=7.5', urls.hls], url: urls.hls, source: 'hls' });
  });

  it('opens the original when there is no ladder yet, whatever the player', () => {
    expect(playerLaunch('/usr/bin/mpv', { hls: null, original: urls.original }, 3, 8)).toEqual({ args: ['--start=3', urls.original], url: urls.original, source: 'original' });
  });
});

describe('mpvFfmpegMajorOf', () => {
  it('reads the FFmpeg version mpv --version prints, and nothing from a git build without one', () => {
    const debian = 'mpv 0.35.1 Copyright © 2000-2023 mpv/MPlayer/mplayer2 projects\n built on UNKNOWN\nFFmpeg library versions:\n   libavutil       57.28.100\nFFmpeg version: 5.1.6-0+deb12u1\n';
    expect(mpvFfmpegMajorOf(debian)).toBe(5);
    expect(mpvFfmpegMajorOf('mpv v0.40.0\nFFmpeg version: n8.0\n')).toBe(8);
    expect(mpvFfmpegMajorOf('mpv v0.40.0\nFFmpeg version: N-118893-g1234abcd\n')).toBe(null);
  });
});

describe('parseStartTime', () => {
  it('takes seconds, m:ss and h:mm:ss', () => {
    expect(['90', '90.5', '1:30', '01:02:03', '0'].map(parseStartTime)).toEqual([90, 90.5, 90, 3723, 0]);
    expect(parseStartTime(undefined)).toBe(null);
  });

  it('refuses what is not a time', () => {
    for (const bad of ['', 'abc', '-5', '1:75', '1:2:3:4', '12:34:']) expect(() => parseStartTime(bad), bad).toThrow(`not a start time: "${bad}"`);
  });
});
