import { describe, expect, it } from 'vitest';
import { planLadder, type Rung } from './ladder';
import { probeOf as fixture } from './__fixtures__/probes';
import type { MediaProbe, VideoProbe } from './probe';

/** A made-up source: 1080p30 H.264 with no known bitrate, changed where a test says. */
function source(video: Partial<VideoProbe> = {}, rest: Partial<MediaProbe> = {}): MediaProbe {
  return {
    container: 'mov,mp4,m4a,3gp,3g2,mj2',
    durationSeconds: 10,
    sizeBytes: 1_000_000,
    bitRate: null,
    video: {
      codec: 'h264',
      width: 1920,
      height: 1080,
      displayWidth: 1920,
      displayHeight: 1080,
      rotation: 0,
      frameRate: 30,
      pixFmt: 'yuv420p',
      bitDepth: 8,
      colorTransfer: null,
      colorPrimaries: null,
      colorSpace: null,
      hdr: null,
      ...video,
    },
    ...rest,
  };
}

const sizes = (rungs: Rung[]) => rungs.map((r) => `${r.name} ${r.width}x${r.height}`);
const at30 = { frameRate: 30, gopFrames: 120 };

describe('planLadder', () => {
  it('gives a 4K H.264 + AAC clip every rung from 2160p down, and copies its stereo AAC', () => {
    expect(planLadder(fixture('4k-h264-aac'))).toEqual({
      rungs: [
        { name: '2160p', width: 3840, height: 2160, videoBitrate: 14_142_000, maxrate: 15_132_000, bufsize: 21_213_000, ...at30 },
        { name: '1440p', width: 2560, height: 1440, videoBitrate: 7_698_000, maxrate: 8_237_000, bufsize: 11_547_000, ...at30 },
        { name: '1080p', width: 1920, height: 1080, videoBitrate: 5_000_000, maxrate: 5_350_000, bufsize: 7_500_000, ...at30 },
        { name: '720p', width: 1280, height: 720, videoBitrate: 2_722_000, maxrate: 2_913_000, bufsize: 4_083_000, ...at30 },
        { name: '480p', width: 854, height: 480, videoBitrate: 1_482_000, maxrate: 1_586_000, bufsize: 2_223_000, ...at30 },
        { name: '360p', width: 640, height: 360, videoBitrate: 962_000, maxrate: 1_029_000, bufsize: 1_443_000, ...at30 },
      ],
      audio: { mode: 'copy', channels: 2, bitrate: 127_621 },
      segmentSeconds: 4,
      hdrToSdr: false,
    });
  });

  it('keeps a 1080x1920 portrait clip portrait, the rung naming its short side', () => {
    const ladder = planLadder(fixture('portrait-1080x1920'));
    expect(sizes(ladder.rungs)).toEqual(['1080p 1080x1920', '720p 720x1280', '480p 480x854', '360p 360x640']);
    // 29.97 fps: a keyframe every 120 frames is every 4.004 s, and forced keyframes land on 4 s exactly.
    expect(ladder.rungs[0]).toEqual({ name: '1080p', width: 1080, height: 1920, videoBitrate: 4_997_000, maxrate: 5_347_000, bufsize: 7_496_000, frameRate: 29.97, gopFrames: 120 });
  });

  it('re-encodes 5.1 AAC to stereo AAC at 128 kbps', () => {
    expect(planLadder(fixture('portrait-1080x1920')).audio).toEqual({ mode: 'aac', bitrate: 128_000, channels: 2 });
  });

  it('turns a phone clip stored landscape with a 90° rotation into portrait rungs', () => {
    expect(sizes(planLadder(fixture('rotated-phone')).rungs)).toEqual(['1080p 1080x1920', '720p 720x1280', '480p 480x854', '360p 360x640']);
  });

  it('tone-maps 10-bit HLG to SDR and never spends more than 1.1× the source’s bits', () => {
    const ladder = planLadder(fixture('hevc-10bit-hlg'));
    expect(ladder.hdrToSdr).toBe(true);
    // The source spends 3.57 Mbps on 1080p: 1.1× that is 3.93 Mbps, under the 5 Mbps of the table.
    expect(ladder.rungs.map((r) => [r.name, r.videoBitrate])).toEqual([
      ['1080p', 3_931_000],
      ['720p', 2_140_000],
      ['480p', 1_166_000],
      ['360p', 757_000],
    ]);
    expect(planLadder(fixture('hevc-10bit-pq')).hdrToSdr).toBe(true);
  });

  it('keeps an odd 1918x1078 source at its own size for 1080p, with even sizes below', () => {
    const ladder = planLadder(fixture('odd-1918x1078'));
    expect(sizes(ladder.rungs)).toEqual(['1080p 1918x1078', '720p 1282x720', '480p 854x480', '360p 640x360']);
    expect(ladder.rungs[0]).toMatchObject({ frameRate: 24, gopFrames: 96, videoBitrate: 4_364_000 });
  });

  it('never upscales: a 720p source has no 1080p rung', () => {
    const ladder = planLadder(fixture('no-audio'));
    expect(sizes(ladder.rungs)).toEqual(['720p 1280x720', '480p 854x480', '360p 640x360']);
    expect(ladder.audio).toEqual({ mode: 'none' });
  });

  it('gives a source below 360p one rung at its own size, cut to even', () => {
    expect(planLadder(source({ displayWidth: 426, displayHeight: 240 })).rungs).toEqual([
      { name: '240p', width: 426, height: 240, videoBitrate: 523_000, maxrate: 560_000, bufsize: 785_000, ...at30 },
    ]);
    expect(sizes(planLadder(source({ displayWidth: 321, displayHeight: 241 })).rungs)).toEqual(['240p 320x240']);
    expect(sizes(planLadder(source({ displayWidth: 180, displayHeight: 320 })).rungs)).toEqual(['180p 180x320']);
  });

  it('counts a source a little short of 360 as 360p, at its own size', () => {
    expect(sizes(planLadder(source({ displayWidth: 608, displayHeight: 344 })).rungs)).toEqual(['360p 608x344']);
  });

  it('gives a square video square rungs', () => {
    expect(sizes(planLadder(source({ displayWidth: 1080, displayHeight: 1080 })).rungs)).toEqual(['1080p 1080x1080', '720p 720x720', '480p 480x480', '360p 360x360']);
  });

  it('scales bitrate with frame rate, less than linearly', () => {
    expect(planLadder(source({ frameRate: 60 })).rungs[0]).toMatchObject({ videoBitrate: 7_579_000, frameRate: 60, gopFrames: 240 });
  });

  it('halves 120 fps (and 119.88) to at most 60 fps', () => {
    expect(planLadder(source({ frameRate: 120 })).rungs[0]).toMatchObject({ frameRate: 60, gopFrames: 240 });
    expect(planLadder(source({ frameRate: 119.88 })).rungs[0]).toMatchObject({ frameRate: 59.94, gopFrames: 240 });
    expect(planLadder(source({ frameRate: 240 })).rungs[0]).toMatchObject({ frameRate: 60 });
  });

  it('assumes 30 fps when ffprobe could not tell', () => {
    expect(planLadder(source({ frameRate: 0 })).rungs[0]).toMatchObject(at30);
  });

  it('caps by the file’s bitrate minus the audio when the video stream has none', () => {
    const probe = source({}, { bitRate: 2_128_000, audio: { codec: 'aac', channels: 2, sampleRate: 48000, bitRate: 128_000 } });
    expect(planLadder(probe).rungs[0]?.videoBitrate).toBe(2_200_000);
  });

  it('puts a keyframe at every segment boundary for other segment lengths', () => {
    const ladder = planLadder(source({ frameRate: 25 }), { segmentSeconds: 6 });
    expect(ladder.segmentSeconds).toBe(6);
    expect(ladder.rungs.map((r) => r.gopFrames)).toEqual([150, 150, 150, 150]);
  });

  it('copies mono AAC, and re-encodes other codecs', () => {
    expect(planLadder(source({}, { audio: { codec: 'aac', channels: 1, sampleRate: 44100 } })).audio).toEqual({ mode: 'copy', channels: 1 });
    expect(planLadder(source({}, { audio: { codec: 'opus', channels: 2, sampleRate: 48000 } })).audio).toEqual({ mode: 'aac', bitrate: 128_000, channels: 2 });
  });

  it('refuses an audio-only file: it needs no video ladder', () => {
    expect(() => planLadder(fixture('audio-only'))).toThrow('planLadder needs a video stream: an audio-only file gets no ladder (check probe.video first)');
  });
});
