import { describe, expect, it } from 'vitest';
import { jobFor, jobOf as job, probeOf } from '../__fixtures__/probes';
import { QsvBuilder } from './qsv.builder';
import { SoftwareBuilder } from './software.builder';
import { VaapiBuilder } from './vaapi.builder';
import { withCopiedTopRung, type TopRungCopy } from '../top-rung-copy';

const head = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-progress', 'pipe:1', '-nostats'];
const hlsTail = (streamMap: string) => [
  '-f', 'hls', '-hls_time', '4', '-hls_init_time', '1', '-hls_playlist_type', 'event', '-hls_list_size', '0', '-hls_segment_type', 'fmp4',
  '-hls_fmp4_init_filename', 'init_%v.mp4', '-hls_segment_filename', '/work/out/%v/seg_%05d.m4s',
  '-hls_flags', 'independent_segments+temp_file', '-master_pl_name', 'master.m3u8', '-var_stream_map', streamMap, '/work/out/%v/index.m3u8',
];
const mapsWithAudio = (n: number) => Array.from({ length: n }, (_, i) => ['-map', `[v${i}]`, '-map', '0:a:0']).flat();
const x264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-rc-lookahead', '5', '-profile:v', 'high', '-pix_fmt', 'yuv420p', '-g', '120', '-keyint_min', '120', '-sc_threshold', '0', '-force_key_frames', 'expr:gte(t,max(n_forced*4-3,n_forced*1))'];
/** The 1080x1920 ladder of the rotated phone clip, as -b/-maxrate/-bufsize per rung. */
const portraitRates = [
  '-b:v:0', '5000k', '-maxrate:v:0', '5350k', '-bufsize:v:0', '7500k',
  '-b:v:1', '2722k', '-maxrate:v:1', '2913k', '-bufsize:v:1', '4083k',
  '-b:v:2', '1482k', '-maxrate:v:2', '1586k', '-bufsize:v:2', '2223k',
  '-b:v:3', '962k', '-maxrate:v:3', '1029k', '-bufsize:v:3', '1443k',
];
const hlgRates = [
  '-b:v:0', '3931k', '-maxrate:v:0', '4206k', '-bufsize:v:0', '5897k',
  '-b:v:1', '2140k', '-maxrate:v:1', '2290k', '-bufsize:v:1', '3210k',
  '-b:v:2', '1166k', '-maxrate:v:2', '1248k', '-bufsize:v:2', '1749k',
  '-b:v:3', '757k', '-maxrate:v:3', '810k', '-bufsize:v:3', '1136k',
];
const map4 = 'v:0,a:0,name:1080p v:1,a:1,name:720p v:2,a:2,name:480p v:3,a:3,name:360p';
const toneMapSw = 'zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv';

describe('SoftwareBuilder', () => {
  it('encodes a 720p clip without audio to three rungs in one ffmpeg process, each rung scaled from the one above', () => {
    expect(new SoftwareBuilder().command(job('no-audio'))).toEqual({
      name: 'software',
      args: [
        '-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-progress', 'pipe:1', '-nostats',
        '-i', '/work/in/original',
        '-filter_complex', '[0:v:0]scale=1280:720,split=2[v0][c0];[c0]scale=854:480,split=2[v1][c1];[c1]scale=640:360[v2]',
        '-map', '[v0]', '-map', '[v1]', '-map', '[v2]',
        '-c:v', 'libx264', '-preset', 'veryfast', '-rc-lookahead', '5', '-profile:v', 'high', '-pix_fmt', 'yuv420p',
        '-g', '120', '-keyint_min', '120', '-sc_threshold', '0', '-force_key_frames', 'expr:gte(t,max(n_forced*4-3,n_forced*1))',
        '-b:v:0', '2722k', '-maxrate:v:0', '2913k', '-bufsize:v:0', '4083k',
        '-b:v:1', '1482k', '-maxrate:v:1', '1586k', '-bufsize:v:1', '2223k',
        '-b:v:2', '962k', '-maxrate:v:2', '1029k', '-bufsize:v:2', '1443k',
        '-f', 'hls', '-hls_time', '4', '-hls_init_time', '1', '-hls_playlist_type', 'event', '-hls_list_size', '0', '-hls_segment_type', 'fmp4',
        '-hls_fmp4_init_filename', 'init_%v.mp4', '-hls_segment_filename', '/work/out/%v/seg_%05d.m4s',
        '-hls_flags', 'independent_segments+temp_file', '-master_pl_name', 'master.m3u8',
        '-var_stream_map', 'v:0,name:720p v:1,name:480p v:2,name:360p', '/work/out/%v/index.m3u8',
      ],
    });
  });

  it('tone-maps HLG to SDR BT.709 once, before the split, and copies the AAC track into every rung', () => {
    expect(new SoftwareBuilder().command(job('hevc-10bit-hlg')).args).toEqual([
      ...head,
      '-i', '/work/in/original',
      '-filter_complex', `[0:v:0]${toneMapSw},format=yuv420p,scale=1920:1080,split=2[v0][c0];[c0]scale=1280:720,split=2[v1][c1];[c1]scale=854:480,split=2[v2][c2];[c2]scale=640:360[v3]`,
      ...mapsWithAudio(4),
      ...x264,
      ...hlgRates,
      '-c:a', 'copy',
      ...hlsTail(map4),
    ]);
  });

  it('leaves rotation to ffmpeg’s autorotate and re-encodes 5.1 audio to stereo AAC', () => {
    const args = new SoftwareBuilder().command(job('portrait-1080x1920')).args;
    expect(args.slice(args.indexOf('-filter_complex'), args.indexOf('-filter_complex') + 2)).toEqual([
      '-filter_complex',
      '[0:v:0]scale=1080:1920,split=2[v0][c0];[c0]scale=720:1280,split=2[v1][c1];[c1]scale=480:854,split=2[v2][c2];[c2]scale=360:640[v3]',
    ]);
    expect(args.slice(args.indexOf('-c:a'), args.indexOf('-f'))).toEqual(['-c:a', 'aac', '-b:a', '128k', '-ac', '2']);
  });

  it('halves a 120 fps clip with the fps filter before the split', () => {
    const probe = probeOf('no-audio');
    const fast = { ...probe, video: { ...probe.video!, frameRate: 120 } };
    const args = new SoftwareBuilder().command(jobFor(fast)).args;
    expect(args[args.indexOf('-filter_complex') + 1]).toBe('[0:v:0]fps=60,scale=1280:720,split=2[v0][c0];[c0]scale=854:480,split=2[v1][c1];[c1]scale=640:360[v2]');
    expect(args.slice(args.indexOf('-g'), args.indexOf('-g') + 2)).toEqual(['-g', '240']);
  });

  it('takes another x264 preset and an output folder with a trailing slash', () => {
    const args = new SoftwareBuilder({ x264Preset: 'ultrafast' }).command({ ...job('no-audio'), outputDir: '/work/out/' }).args;
    expect(args.slice(args.indexOf('-preset'), args.indexOf('-preset') + 2)).toEqual(['-preset', 'ultrafast']);
    expect(args.at(-1)).toBe('/work/out/%v/index.m3u8');
  });

  it('refuses an empty ladder and an audio-only source', () => {
    expect(() => new SoftwareBuilder().command({ ...job('no-audio'), ladder: { ...job('no-audio').ladder, rungs: [] } })).toThrow('the ladder has no rungs: nothing to encode');
    const audioOnly = probeOf('audio-only');
    expect(() => new SoftwareBuilder().command({ ...job('no-audio'), probe: audioOnly })).toThrow('an HLS ladder needs a video stream: audio-only files are served as they are');
  });
});

describe('a ladder whose top rung is copied from the source', () => {
  // A 720p H.264 clip with a keyframe every 1.5 s: 720p copied, 480p and 360p encoded with keyframes at its cuts.
  const copy: TopRungCopy = { cutSeconds: [1.5, 3, 4.5], segmentSeconds: [1.5, 1.5, 1.5, 0.5], gopFrames: 46, targetDurationSeconds: 2, peakBitrate: 7_000_000, averageBitrate: 6_000_000, codecs: 'avc1.42c01f' };
  const copied = () => {
    const base = job('no-audio');
    return { ...base, ladder: withCopiedTopRung(base.ladder, copy), copyTopRung: copy };
  };

  it('software: stream 0 takes the source’s packets, every encoder option goes to streams 1 and 2 by index', () => {
    expect(new SoftwareBuilder().command(copied()).args).toEqual([
      ...head,
      '-i', '/work/in/original',
      '-filter_complex', '[0:v:0]scale=854:480,split=2[v1][c1];[c1]scale=640:360[v2]',
      '-map', '0:v:0', '-map', '[v1]', '-map', '[v2]',
      '-c:v:0', 'copy',
      '-c:v:1', 'libx264', '-preset:v:1', 'veryfast', '-rc-lookahead:v:1', '5', '-profile:v:1', 'high', '-pix_fmt:v:1', 'yuv420p',
      '-g:v:1', '46', '-keyint_min:v:1', '46', '-sc_threshold:v:1', '0', '-force_key_frames:v:1', '1.5,3,4.5',
      '-c:v:2', 'libx264', '-preset:v:2', 'veryfast', '-rc-lookahead:v:2', '5', '-profile:v:2', 'high', '-pix_fmt:v:2', 'yuv420p',
      '-g:v:2', '46', '-keyint_min:v:2', '46', '-sc_threshold:v:2', '0', '-force_key_frames:v:2', '1.5,3,4.5',
      '-b:v:1', '1482k', '-maxrate:v:1', '1586k', '-bufsize:v:1', '2223k',
      '-b:v:2', '962k', '-maxrate:v:2', '1029k', '-bufsize:v:2', '1443k',
      ...hlsTail('v:0,name:720p v:1,name:480p v:2,name:360p'),
    ]);
  });

  it('VAAPI hardware decode: the same copy, the GPU encoder options per encoded stream', () => {
    const args = new VaapiBuilder().hwDecode(copied()).args;
    expect(args.slice(args.indexOf('-filter_complex'), args.indexOf('-b:v:1'))).toEqual([
      '-filter_complex', '[0:v:0]split=2[s1][s2];[s1]scale_vaapi=w=854:h=480:format=nv12[v1];[s2]scale_vaapi=w=640:h=360:format=nv12[v2]',
      '-map', '0:v:0', '-map', '[v1]', '-map', '[v2]',
      '-c:v:0', 'copy',
      '-c:v:1', 'h264_vaapi', '-profile:v:1', 'high', '-rc_mode:v:1', 'VBR', '-g:v:1', '46', '-force_key_frames:v:1', '1.5,3,4.5',
      '-c:v:2', 'h264_vaapi', '-profile:v:2', 'high', '-rc_mode:v:2', 'VBR', '-g:v:2', '46', '-force_key_frames:v:2', '1.5,3,4.5',
    ]);
  });

  it('a one-rung ladder is only a copy: no filters, no encoder', () => {
    const base = job('no-audio');
    const one = { ...base, ladder: { ...base.ladder, rungs: base.ladder.rungs.slice(0, 1) }, copyTopRung: { ...copy, cutSeconds: [] } };
    const args = new SoftwareBuilder().command(one).args;
    expect(args.slice(args.indexOf('-i'), args.indexOf('-f'))).toEqual(['-i', '/work/in/original', '-map', '0:v:0', '-c:v:0', 'copy']);
  });
});

describe('VaapiBuilder', () => {
  it('hardware decode: frames stay on the GPU, turned upright there, scaled with scale_vaapi', () => {
    expect(new VaapiBuilder({ device: '/dev/dri/renderD129' }).hwDecode(job('rotated-phone'))).toEqual({
      name: 'vaapi-hw-decode',
      args: [
        ...head,
        '-hwaccel', 'vaapi', '-hwaccel_output_format', 'vaapi', '-hwaccel_device', '/dev/dri/renderD129', '-noautorotate',
        '-i', '/work/in/original',
        '-filter_complex',
        '[0:v:0]transpose_vaapi=dir=cclock,split=4[s0][s1][s2][s3];[s0]scale_vaapi=w=1080:h=1920:format=nv12[v0];[s1]scale_vaapi=w=720:h=1280:format=nv12[v1];[s2]scale_vaapi=w=480:h=854:format=nv12[v2];[s3]scale_vaapi=w=360:h=640:format=nv12[v3]',
        ...mapsWithAudio(4),
        '-c:v', 'h264_vaapi', '-profile:v', 'high', '-rc_mode', 'VBR',
        '-g', '120', '-force_key_frames', 'expr:gte(t,max(n_forced*4-3,n_forced*1))',
        ...portraitRates,
        '-c:a', 'copy',
        ...hlsTail(map4),
      ],
    });
  });

  it('hardware decode of HDR10 (PQ) tone-maps with tonemap_vaapi', () => {
    const args = new VaapiBuilder().hwDecode(job('hevc-10bit-pq')).args;
    expect(args[args.indexOf('-filter_complex') + 1]).toBe(
      '[0:v:0]tonemap_vaapi=format=nv12:t=bt709:m=bt709:p=bt709,split=3[s0][s1][s2];[s0]scale_vaapi=w=1280:h=720:format=nv12[v0];[s1]scale_vaapi=w=854:h=480:format=nv12[v1];[s2]scale_vaapi=w=640:h=360:format=nv12[v2]',
    );
  });

  it('software decode: tone-mapped on the CPU, uploaded as NV12, scaled and encoded on the GPU', () => {
    expect(new VaapiBuilder().swDecode(job('hevc-10bit-hlg'))).toEqual({
      name: 'vaapi-sw-decode',
      args: [
        ...head,
        '-init_hw_device', 'vaapi=va:/dev/dri/renderD128', '-filter_hw_device', 'va',
        '-i', '/work/in/original',
        '-filter_complex',
        `[0:v:0]${toneMapSw},format=nv12,hwupload,split=4[s0][s1][s2][s3];[s0]scale_vaapi=w=1920:h=1080:format=nv12[v0];[s1]scale_vaapi=w=1280:h=720:format=nv12[v1];[s2]scale_vaapi=w=854:h=480:format=nv12[v2];[s3]scale_vaapi=w=640:h=360:format=nv12[v3]`,
        ...mapsWithAudio(4),
        '-c:v', 'h264_vaapi', '-profile:v', 'high', '-rc_mode', 'VBR',
        '-g', '120', '-force_key_frames', 'expr:gte(t,max(n_forced*4-3,n_forced*1))',
        ...hlgRates,
        '-c:a', 'copy',
        ...hlsTail(map4),
      ],
    });
  });

  it('will not hardware-decode HLG, which tonemap_vaapi would get wrong', () => {
    expect(new VaapiBuilder().canHwDecode(probeOf('hevc-10bit-hlg'))).toBe(false);
    expect(() => new VaapiBuilder().hwDecode(job('hevc-10bit-hlg'))).toThrow('vaapi-hw-decode cannot handle this source (hevc, HDR HLG): use vaapi-sw-decode');
  });
});

describe('QsvBuilder', () => {
  const qsvDevices = ['-init_hw_device', 'vaapi=va:/dev/dri/renderD128', '-init_hw_device', 'qsv=qs@va', '-filter_hw_device', 'qs'];

  it('hardware decode: the codec’s QSV decoder, vpp_qsv to turn upright, scale_qsv per rung', () => {
    expect(new QsvBuilder().hwDecode(job('rotated-phone'))).toEqual({
      name: 'qsv-hw-decode',
      args: [
        ...head,
        ...qsvDevices,
        '-hwaccel', 'qsv', '-hwaccel_output_format', 'qsv', '-noautorotate', '-c:v', 'h264_qsv',
        '-i', '/work/in/original',
        '-filter_complex',
        '[0:v:0]vpp_qsv=transpose=cclock,split=4[s0][s1][s2][s3];[s0]scale_qsv=w=1080:h=1920:format=nv12[v0];[s1]scale_qsv=w=720:h=1280:format=nv12[v1];[s2]scale_qsv=w=480:h=854:format=nv12[v2];[s3]scale_qsv=w=360:h=640:format=nv12[v3]',
        ...mapsWithAudio(4),
        '-c:v', 'h264_qsv', '-preset', 'veryfast', '-profile:v', 'high',
        '-g', '120', '-forced_idr', '1', '-force_key_frames', 'expr:gte(t,max(n_forced*4-3,n_forced*1))',
        ...portraitRates,
        '-c:a', 'copy',
        ...hlsTail(map4),
      ],
    });
  });

  it('software decode: uploaded with extra frames for the encoder', () => {
    expect(new QsvBuilder().swDecode(job('no-audio'))).toEqual({
      name: 'qsv-sw-decode',
      args: [
        ...head,
        ...qsvDevices,
        '-i', '/work/in/original',
        '-filter_complex',
        '[0:v:0]format=nv12,hwupload=extra_hw_frames=64,format=qsv,split=3[s0][s1][s2];[s0]scale_qsv=w=1280:h=720:format=nv12[v0];[s1]scale_qsv=w=854:h=480:format=nv12[v1];[s2]scale_qsv=w=640:h=360:format=nv12[v2]',
        '-map', '[v0]', '-map', '[v1]', '-map', '[v2]',
        '-c:v', 'h264_qsv', '-preset', 'veryfast', '-profile:v', 'high',
        '-g', '120', '-forced_idr', '1', '-force_key_frames', 'expr:gte(t,max(n_forced*4-3,n_forced*1))',
        '-b:v:0', '2722k', '-maxrate:v:0', '2913k', '-bufsize:v:0', '4083k',
        '-b:v:1', '1482k', '-maxrate:v:1', '1586k', '-bufsize:v:1', '2223k',
        '-b:v:2', '962k', '-maxrate:v:2', '1029k', '-bufsize:v:2', '1443k',
        ...hlsTail('v:0,name:720p v:1,name:480p v:2,name:360p'),
      ],
    });
  });

  it('hardware-decodes only SDR in codecs it has a decoder for', () => {
    const qsv = new QsvBuilder();
    expect(qsv.canHwDecode(probeOf('4k-h264-aac'))).toBe(true);
    expect(qsv.canHwDecode(probeOf('hevc-10bit-pq'))).toBe(false);
    const prores = probeOf('no-audio');
    expect(qsv.canHwDecode({ ...prores, video: { ...prores.video!, codec: 'prores' } })).toBe(false);
  });
});
