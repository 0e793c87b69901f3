import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explainProbeFailure, MediaProbeError, normaliseRotation, parseProbe, probeArgs } from './probe';

// Captured once from real ffprobe 5.1 on lavfi-made clips: see __fixtures__/generate.sh.
const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
const probeOf = (name: string) => JSON.parse(fixture(`${name}.json`)) as { streams: Record<string, unknown>[]; format: Record<string, unknown> };

const MP4 = 'mov,mp4,m4a,3gp,3g2,mj2';
const sdr = { colorTransfer: null, colorPrimaries: null, colorSpace: null, hdr: null };

describe('parseProbe on what ffprobe said about real files', () => {
  it('reads a 4K H.264 clip with stereo AAC', () => {
    expect(parseProbe(fixture('4k-h264-aac.json'), 'holiday.mp4')).toEqual({
      container: MP4,
      durationSeconds: 1,
      sizeBytes: 7614985,
      bitRate: 60919880,
      video: {
        codec: 'h264',
        profile: 'Constrained Baseline',
        width: 3840,
        height: 2160,
        displayWidth: 3840,
        displayHeight: 2160,
        rotation: 0,
        frameRate: 30,
        pixFmt: 'yuv420p',
        bitDepth: 8,
        ...sdr,
        bitRate: 60771280,
        level: 51,
        fieldOrder: 'progressive',
        startSeconds: 0,
      },
      audio: { codec: 'aac', channels: 2, sampleRate: 48000, bitRate: 127621, startSeconds: 0 },
    });
  });

  it('keeps a portrait clip upright and reads 30000/1001 as 29.97 fps', () => {
    const probe = parseProbe(probeOf('portrait-1080x1920'), 'story.mp4');
    expect(probe.durationSeconds).toBe(1.001);
    expect(probe.video).toMatchObject({ width: 1080, height: 1920, displayWidth: 1080, displayHeight: 1920, rotation: 0, frameRate: 29.97 });
    expect(probe.audio).toEqual({ codec: 'aac', channels: 6, sampleRate: 48000, bitRate: 174383, startSeconds: 0 });
  });

  it('turns a phone clip stored landscape with a display matrix into its shown size', () => {
    // The matrix says 90° counter-clockwise (ffprobe prints rotation: 90): shown 1080 wide, 1920 high.
    const probe = parseProbe(probeOf('rotated-phone'), 'phone.mp4');
    expect(probe.video).toMatchObject({ width: 1920, height: 1080, displayWidth: 1080, displayHeight: 1920, rotation: 270 });
  });

  it('reads the old rotate tag as clockwise when there is no display matrix', () => {
    const json = probeOf('no-audio');
    json.streams[0] = { ...json.streams[0], tags: { rotate: '90' } };
    expect(parseProbe(json, 'old-phone.mov').video).toMatchObject({ displayWidth: 720, displayHeight: 1280, rotation: 90 });
  });

  it('recognises 10-bit HEVC HLG as HDR', () => {
    expect(parseProbe(fixture('hevc-10bit-hlg.json'), 'hdr.mp4').video).toEqual({
      codec: 'hevc',
      profile: 'Main 10',
      width: 1920,
      height: 1080,
      displayWidth: 1920,
      displayHeight: 1080,
      rotation: 0,
      frameRate: 30,
      pixFmt: 'yuv420p10le',
      bitDepth: 10,
      colorTransfer: 'arib-std-b67',
      colorPrimaries: 'bt2020',
      colorSpace: 'bt2020nc',
      hdr: 'hlg',
      bitRate: 3573952,
      level: 120,
      fieldOrder: 'progressive',
      startSeconds: 0,
    });
  });

  it('recognises 10-bit HEVC PQ (HDR10) as HDR, with no audio', () => {
    const probe = parseProbe(fixture('hevc-10bit-pq.json'), 'hdr10.mov');
    expect(probe.video).toMatchObject({ bitDepth: 10, colorTransfer: 'smpte2084', hdr: 'pq', frameRate: 25 });
    expect(probe.audio).toBeUndefined();
  });

  it('reads an odd size as it is', () => {
    expect(parseProbe(fixture('odd-1918x1078.json'), 'odd.mp4').video).toMatchObject({ displayWidth: 1918, displayHeight: 1078, frameRate: 24 });
  });

  it('accepts a video without audio', () => {
    const probe = parseProbe(fixture('no-audio.json'), 'silent.mp4');
    expect(probe.video).toMatchObject({ displayWidth: 1280, displayHeight: 720 });
    expect(probe.audio).toBeUndefined();
  });

  it('accepts an audio-only file, with no video', () => {
    expect(parseProbe(fixture('audio-only.json'), 'song.m4a')).toEqual({
      container: MP4,
      durationSeconds: 2,
      sizeBytes: 25616,
      bitRate: 102464,
      audio: { codec: 'aac', channels: 1, sampleRate: 44100, bitRate: 96705, startSeconds: 0 },
    });
  });

  it('ignores the cover art of a music file', () => {
    const json = probeOf('audio-only');
    json.streams.push({ codec_type: 'video', codec_name: 'mjpeg', width: 600, height: 600, disposition: { attached_pic: 1 } });
    expect(parseProbe(json, 'song.m4a').video).toBeUndefined();
  });

  it('widens anamorphic video to square pixels', () => {
    const json = probeOf('no-audio');
    json.streams[0] = { ...json.streams[0], width: 720, height: 480, sample_aspect_ratio: '32:27' };
    expect(parseProbe(json, 'dvd.mpg').video).toMatchObject({ width: 720, height: 480, displayWidth: 853, displayHeight: 480 });
  });

  it('takes the bit depth from bits_per_raw_sample, else from the pixel format', () => {
    const json = probeOf('no-audio');
    json.streams[0] = { ...json.streams[0], bits_per_raw_sample: undefined, pix_fmt: 'p010le' };
    expect(parseProbe(json, 'a.mp4').video?.bitDepth).toBe(10);
    json.streams[0] = { ...json.streams[0], bits_per_raw_sample: undefined, pix_fmt: 'nv12' };
    expect(parseProbe(json, 'a.mp4').video?.bitDepth).toBe(8);
  });

  it('falls back to r_frame_rate, and to 0, when avg_frame_rate is 0/0', () => {
    const json = probeOf('no-audio');
    json.streams[0] = { ...json.streams[0], avg_frame_rate: '0/0', r_frame_rate: '24000/1001' };
    expect(parseProbe(json, 'a.mkv').video?.frameRate).toBe(23.976);
    json.streams[0] = { ...json.streams[0], avg_frame_rate: '0/0', r_frame_rate: '0/0' };
    expect(parseProbe(json, 'a.mkv').video?.frameRate).toBe(0);
  });

  it('takes the duration from the streams when the container has none', () => {
    const json = probeOf('no-audio');
    json.format = { ...json.format, duration: 'N/A', bit_rate: 'N/A' };
    expect(parseProbe(json, 'raw.h264')).toMatchObject({ durationSeconds: 1, bitRate: null });
  });
});

describe('parseProbe refuses what is not audio or video, in words', () => {
  const refusal = (json: unknown, name: string) => {
    try {
      parseProbe(json, name);
    } catch (error) {
      expect(error).toBeInstanceOf(MediaProbeError);
      return (error as MediaProbeError).message;
    }
    throw new Error('parseProbe accepted it');
  };

  it('a file with no audio or video stream', () => {
    const json = { streams: [{ codec_type: 'data', codec_name: 'bin_data' }], format: { format_name: 'tty', duration: '1.0' } };
    expect(refusal(json, 'clip.mp4')).toBe('ffprobe found no video or audio stream in "clip.mp4" (is it a media file?)');
    expect(refusal({}, 'clip.mp4')).toBe('ffprobe found no video or audio stream in "clip.mp4" (is it a media file?)');
  });

  it('a photo renamed to .mp4', () => {
    const json = { streams: [{ codec_type: 'video', codec_name: 'png', width: 640, height: 480 }], format: { format_name: 'png_pipe' } };
    expect(refusal(json, 'photo.mp4')).toBe('"photo.mp4" is a still image (png), not a video');
  });

  it('a video with no duration anywhere', () => {
    const json = probeOf('no-audio');
    json.format = { ...json.format, duration: undefined };
    json.streams[0] = { ...json.streams[0], duration: undefined };
    expect(refusal(json, 'cut.mp4')).toBe('ffprobe could not tell how long "cut.mp4" is (the file may be cut short or damaged)');
  });

  it('a video stream without a size', () => {
    const json = probeOf('no-audio');
    json.streams[0] = { ...json.streams[0], width: 0, height: 0 };
    expect(refusal(json, 'broken.mp4')).toBe('ffprobe found a video stream in "broken.mp4" but not its size (the file may be damaged)');
  });

  it('an answer that is not JSON', () => {
    expect(refusal('Input #0, mov', 'clip.mp4')).toBe(`ffprobe's answer about "clip.mp4" was not JSON (is ffprobe run with -print_format json?)`);
  });
});

describe('explainProbeFailure turns ffprobe stderr into a reason', () => {
  it('a zero-byte upload is empty, whatever ffprobe said', () => {
    expect(explainProbeFailure(fixture('empty.stderr.txt'), 'x.mp4', 0)).toBe('"x.mp4" is empty (0 bytes)');
  });

  it('a text file named .mp4 and a cut-short MP4 both lack the MP4 index', () => {
    const reason = '"x.mp4" is not a video ffmpeg can read, or it was cut short before the end (moov atom not found)';
    expect(explainProbeFailure(fixture('not-a-video.stderr.txt'), 'x.mp4', 37)).toBe(reason);
    expect(explainProbeFailure(fixture('truncated.stderr.txt'), 'x.mp4', 20000)).toBe(reason);
  });

  it('data no demuxer recognises', () => {
    expect(explainProbeFailure('x.mkv: Invalid data found when processing input\n', 'x.mkv')).toBe(
      '"x.mkv" is not a video ffmpeg can read (Invalid data found when processing input)',
    );
  });

  it('a missing file and an unreadable one', () => {
    expect(explainProbeFailure('/tmp/a/x.mp4: No such file or directory\n', 'x.mp4')).toBe('"x.mp4" was not found where ffprobe looked (No such file or directory)');
    expect(explainProbeFailure('/tmp/a/x.mp4: Permission denied\n', 'x.mp4')).toBe('"x.mp4" could not be opened (Permission denied)');
  });

  it('anything else quotes ffprobe’s last line without its log prefix', () => {
    expect(explainProbeFailure('[matroska,webm @ 0x55d0c1a2] EBML header parsing failed\n', 'x.webm')).toBe('ffprobe could not read "x.webm" (EBML header parsing failed)');
    expect(explainProbeFailure('', 'x.webm')).toBe('ffprobe could not read "x.webm" (it said nothing)');
  });
});

describe('probe helpers', () => {
  it('runs ffprobe for JSON with the format and every stream', () => {
    expect(probeArgs('/tmp/in.mp4')).toEqual(['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '/tmp/in.mp4']);
  });

  it('normalises any rotation to a quarter turn clockwise', () => {
    expect([0, 90, -90, 180, -180, 270, 360, 450, 89.9].map(normaliseRotation)).toEqual([0, 90, 270, 180, 180, 270, 0, 90, 90]);
  });
});
