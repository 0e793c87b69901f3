import { describe, expect, it } from 'vitest';
import { completeMasterPlaylist, finalizeVariantPlaylist, hlsLayout, segmentAt, segmentFileAt, targetDurationSeconds, withTargetDuration } from './hls-playlists';
import type { Ladder } from './ladder';

const eventPlaylist = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:EVENT
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MAP:URI="init_720p.mp4"
#EXTINF:4.000000,
seg_00000.m4s
#EXTINF:1.200000,
seg_00001.m4s
`;

const endedPlaylist = `${eventPlaylist}#EXT-X-ENDLIST\n`;

describe('hlsLayout', () => {
  it('puts each rung in its own folder under the master playlist', () => {
    expect([hlsLayout.master, hlsLayout.variantPlaylist('720p'), hlsLayout.initSegment('720p'), hlsLayout.segment('720p', 12)]).toEqual([
      'master.m3u8',
      '720p/index.m3u8',
      '720p/init_720p.mp4',
      '720p/seg_00012.m4s',
    ]);
  });
});

describe('finalizeVariantPlaylist', () => {
  it('ends the EVENT playlist of a running encode with #EXT-X-ENDLIST and changes nothing else (RFC 8216 §6.2.1)', () => {
    expect(finalizeVariantPlaylist(eventPlaylist)).toBe(endedPlaylist);
  });

  it('does not add a second #EXT-X-ENDLIST when ffmpeg wrote one (it does when it ends cleanly)', () => {
    expect(finalizeVariantPlaylist(`${eventPlaylist}#EXT-X-ENDLIST\n\n`)).toBe(endedPlaylist);
    expect(finalizeVariantPlaylist(endedPlaylist)).toBe(endedPlaylist);
  });

  it('leaves a playlist with no type untyped', () => {
    const untyped = eventPlaylist.replace('#EXT-X-PLAYLIST-TYPE:EVENT\n', '');
    expect(finalizeVariantPlaylist(untyped)).toBe(`${untyped}#EXT-X-ENDLIST\n`);
  });
});

describe('targetDurationSeconds', () => {
  const ladderAt = (segmentSeconds: number, frameRate: number): Ladder => ({
    rungs: [{ name: '720p', width: 1280, height: 720, videoBitrate: 1, maxrate: 1, bufsize: 1, frameRate, gopFrames: 1 }],
    audio: { mode: 'none' },
    segmentSeconds,
    hdrToSdr: false,
  });

  it('is the segment length, with room for the one frame a cut can run over, rounded as EXTINF is', () => {
    expect(targetDurationSeconds(ladderAt(4, 30))).toBe(4);
    expect(targetDurationSeconds(ladderAt(4, 29.97))).toBe(4);
    expect(targetDurationSeconds(ladderAt(1.5, 30))).toBe(2);
    // One frame every second: a 4 s segment can last 5 s.
    expect(targetDurationSeconds(ladderAt(4, 1))).toBe(5);
  });
});

describe('withTargetDuration', () => {
  it('replaces the target ffmpeg wrote, so a growing playlist never changes it', () => {
    const early = eventPlaylist.replace('#EXT-X-TARGETDURATION:4', '#EXT-X-TARGETDURATION:1');
    expect(withTargetDuration(early, 4)).toBe(eventPlaylist);
  });

  it('adds one after #EXT-X-VERSION when the playlist has none', () => {
    const without = eventPlaylist.replace('#EXT-X-TARGETDURATION:4\n', '');
    expect(withTargetDuration(without, 4)).toBe(eventPlaylist);
  });
});

describe('completeMasterPlaylist', () => {
  const rung = { frameRate: 29.97, gopFrames: 120 };
  const ladder: Ladder = {
    rungs: [
      { name: '720p', width: 1280, height: 720, videoBitrate: 2_722_000, maxrate: 2_913_000, bufsize: 4_083_000, ...rung },
      { name: '360p', width: 640, height: 360, videoBitrate: 962_000, maxrate: 1_029_000, bufsize: 1_443_000, ...rung },
    ],
    audio: { mode: 'aac', bitrate: 128_000, channels: 2 },
    segmentSeconds: 4,
    hdrToSdr: false,
  };

  // What ffmpeg 5.1 wrote for this ladder.
  const ffmpegMaster = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-STREAM-INF:BANDWIDTH=3135000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2"
720p/index.m3u8

#EXT-X-STREAM-INF:BANDWIDTH=1198000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"
360p/index.m3u8
`;

  it('adds the peak and average bandwidth and the frame rate, keeping ffmpeg’s resolution and codecs', () => {
    expect(completeMasterPlaylist(ffmpegMaster, ladder)).toBe(`#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-STREAM-INF:BANDWIDTH=3345100,AVERAGE-BANDWIDTH=3135000,RESOLUTION=1280x720,FRAME-RATE=29.970,CODECS="avc1.64001f,mp4a.40.2"
720p/index.m3u8

#EXT-X-STREAM-INF:BANDWIDTH=1272700,AVERAGE-BANDWIDTH=1199000,RESOLUTION=640x360,FRAME-RATE=29.970,CODECS="avc1.64001e,mp4a.40.2"
360p/index.m3u8
`);
  });

  it('counts copied audio at its own bitrate, and no audio as nothing', () => {
    const copied = completeMasterPlaylist(ffmpegMaster, { ...ladder, audio: { mode: 'copy', channels: 1, bitrate: 70_000 } });
    expect(copied).toContain('#EXT-X-STREAM-INF:BANDWIDTH=3281300,AVERAGE-BANDWIDTH=3071200,');
    const silent = completeMasterPlaylist(ffmpegMaster.replace(/,mp4a.40.2/g, ''), { ...ladder, audio: { mode: 'none' } });
    expect(silent).toContain('#EXT-X-STREAM-INF:BANDWIDTH=3204300,AVERAGE-BANDWIDTH=2994200,RESOLUTION=1280x720,FRAME-RATE=29.970,CODECS="avc1.64001f"\n720p/index.m3u8');
  });

  it('is idempotent, and leaves variants it does not know alone', () => {
    const once = completeMasterPlaylist(ffmpegMaster, ladder);
    expect(completeMasterPlaylist(once, ladder)).toBe(once);
    const stranger = ffmpegMaster.replace('360p/index.m3u8', 'other/index.m3u8');
    expect(completeMasterPlaylist(stranger, ladder)).toContain('#EXT-X-STREAM-INF:BANDWIDTH=1198000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"\nother/index.m3u8');
  });
});

describe('segmentAt', () => {
  const ladderPlaylist = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-MAP:URI="init_720p.mp4"
#EXTINF:1.000000,
seg_00000.m4s
#EXTINF:4.000000,
seg_00001.m4s
#EXTINF:4.000000,
seg_00002.m4s
#EXT-X-ENDLIST
`;

  it('finds the segment holding a time, and the time into it', () => {
    expect(segmentAt(ladderPlaylist, 0.5)).toEqual({ init: 'init_720p.mp4', segment: 'seg_00000.m4s', offsetSeconds: 0.5 });
    expect(segmentAt(ladderPlaylist, 1)).toEqual({ init: 'init_720p.mp4', segment: 'seg_00001.m4s', offsetSeconds: 0 });
    expect(segmentAt(ladderPlaylist, 3)).toEqual({ init: 'init_720p.mp4', segment: 'seg_00001.m4s', offsetSeconds: 2 });
    expect(segmentAt(ladderPlaylist, 5.25)).toEqual({ init: 'init_720p.mp4', segment: 'seg_00002.m4s', offsetSeconds: 0.25 });
  });

  it('takes the start of the last segment for a time past the end', () => {
    expect(segmentAt(ladderPlaylist, 60)).toEqual({ init: 'init_720p.mp4', segment: 'seg_00002.m4s', offsetSeconds: 0 });
  });

  it('gives the files as paths in the output folder', () => {
    expect(segmentFileAt('/work/out', '720p', ladderPlaylist, 3)).toEqual({ init: '/work/out/720p/init_720p.mp4', segment: '/work/out/720p/seg_00001.m4s', offsetSeconds: 2 });
    expect(segmentFileAt('/work/out', '720p', '#EXTM3U\n', 3)).toBeNull();
  });

  it('is null for a playlist without segments, or without an init segment to read them with', () => {
    expect(segmentAt('#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n', 1)).toBeNull();
    expect(segmentAt('#EXTM3U\n#EXTINF:4.0,\nseg_00000.ts\n', 1)).toBeNull();
  });
});
