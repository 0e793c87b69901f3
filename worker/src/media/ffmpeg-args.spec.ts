import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  FallbackExhaustedError,
  fallbackOrder,
  hlsCommand,
  posterArgs,
  posterRung,
  posterSeconds,
  QsvBuilder,
  SoftwareBuilder,
  testEncodeArgs,
  VaapiBuilder,
  walkFallback,
  type HlsJob,
} from './ffmpeg-args';
import { planLadder } from './ladder';
import { parseProbe, type MediaProbe } from './probe';

const probeOf = (name: string) => parseProbe(readFileSync(new URL(`./__fixtures__/${name}.json`, import.meta.url), 'utf8'), `${name}.mp4`);
const jobFor = (probe: MediaProbe): HlsJob => ({ input: '/work/in/original', outputDir: '/work/out', probe, ladder: planLadder(probe) });
const job = (name: string) => jobFor(probeOf(name));

const head = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-progress', 'pipe:1', '-nostats'];
const hlsTail = (streamMap: string) => [
  '-f', 'hls', '-hls_time', '4', '-hls_init_time', '1', '-hls_playlist_type', 'event', '-hls_list_size', '0', '-hls_segment_type', 'fmp4',
  '-hls_fmp4_init_filename', 'init_%v.mp4', '-hls_segment_filename', '/work/out/%v/seg_%05d.m4s',
  '-hls_flags', 'independent_segments+temp_file', '-master_pl_name', 'master.m3u8', '-var_stream_map', streamMap, '/work/out/%v/index.m3u8',
];
const mapsWithAudio = (n: number) => Array.from({ length: n }, (_, i) => ['-map', `[v${i}]`, '-map', '0:a:0']).flat();
const x264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p', '-g', '120', '-keyint_min', '120', '-sc_threshold', '0', '-force_key_frames', 'expr:gte(t,max(n_forced*4-3,n_forced*1))'];
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
  it('encodes a 720p clip without audio to three rungs in one ffmpeg process', () => {
    expect(new SoftwareBuilder().command(job('no-audio'))).toEqual({
      name: 'software',
      args: [
        '-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-progress', 'pipe:1', '-nostats',
        '-i', '/work/in/original',
        '-filter_complex', '[0:v:0]split=3[s0][s1][s2];[s0]scale=1280:720[v0];[s1]scale=854:480[v1];[s2]scale=640:360[v2]',
        '-map', '[v0]', '-map', '[v1]', '-map', '[v2]',
        '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p',
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
      '-filter_complex', `[0:v:0]${toneMapSw},format=yuv420p,split=4[s0][s1][s2][s3];[s0]scale=1920:1080[v0];[s1]scale=1280:720[v1];[s2]scale=854:480[v2];[s3]scale=640:360[v3]`,
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
      '[0:v:0]split=4[s0][s1][s2][s3];[s0]scale=1080:1920[v0];[s1]scale=720:1280[v1];[s2]scale=480:854[v2];[s3]scale=360:640[v3]',
    ]);
    expect(args.slice(args.indexOf('-c:a'), args.indexOf('-f'))).toEqual(['-c:a', 'aac', '-b:a', '128k', '-ac', '2']);
  });

  it('halves a 120 fps clip with the fps filter before the split', () => {
    const probe = probeOf('no-audio');
    const fast = { ...probe, video: { ...probe.video!, frameRate: 120 } };
    const args = new SoftwareBuilder().command(jobFor(fast)).args;
    expect(args[args.indexOf('-filter_complex') + 1]).toBe('[0:v:0]fps=60,split=3[s0][s1][s2];[s0]scale=1280:720[v0];[s1]scale=854:480[v1];[s2]scale=640:360[v2]');
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

describe('hlsCommand', () => {
  it('builds any step of a fallback order by its name', () => {
    expect(hlsCommand('software', job('no-audio'))).toEqual(new SoftwareBuilder().command(job('no-audio')));
    expect(hlsCommand('vaapi-sw-decode', job('no-audio'), { device: '/dev/dri/renderD129' })).toEqual(new VaapiBuilder({ device: '/dev/dri/renderD129' }).swDecode(job('no-audio')));
    expect(hlsCommand('qsv-hw-decode', job('no-audio')).name).toBe('qsv-hw-decode');
  });
});

describe('fallbackOrder', () => {
  it('walks from hardware decode to software decode to software', () => {
    expect(fallbackOrder('vaapi')).toEqual(['vaapi-hw-decode', 'vaapi-sw-decode', 'software']);
    expect(fallbackOrder('qsv')).toEqual(['qsv-hw-decode', 'qsv-sw-decode', 'software']);
    expect(fallbackOrder('software')).toEqual(['software']);
  });

  it('leaves out a hardware decode the source cannot use', () => {
    expect(fallbackOrder('vaapi', probeOf('hevc-10bit-hlg'))).toEqual(['vaapi-sw-decode', 'software']);
    expect(fallbackOrder('vaapi', probeOf('hevc-10bit-pq'))).toEqual(['vaapi-hw-decode', 'vaapi-sw-decode', 'software']);
    expect(fallbackOrder('qsv', probeOf('hevc-10bit-pq'))).toEqual(['qsv-sw-decode', 'software']);
  });
});

describe('walkFallback', () => {
  it('returns the first step that works and every step tried', async () => {
    const ran: string[] = [];
    const outcome = await walkFallback(['vaapi-hw-decode', 'vaapi-sw-decode', 'software'], async (path) => {
      ran.push(path);
      if (path === 'vaapi-hw-decode') throw new Error('No VA display found for device /dev/dri/renderD128.');
      return `done by ${path}`;
    });
    expect(outcome).toEqual({
      path: 'vaapi-sw-decode',
      result: 'done by vaapi-sw-decode',
      steps: [{ path: 'vaapi-hw-decode', error: 'No VA display found for device /dev/dri/renderD128.' }, { path: 'vaapi-sw-decode' }],
    });
    expect(ran).toEqual(['vaapi-hw-decode', 'vaapi-sw-decode']);
  });

  it('reports every failure when nothing works', async () => {
    const failing = walkFallback(['qsv-sw-decode', 'software'], async (path) => {
      throw path === 'software' ? 'not an Error' : new Error('device busy');
    });
    await expect(failing).rejects.toThrow(new FallbackExhaustedError([{ path: 'qsv-sw-decode', error: 'device busy' }, { path: 'software', error: 'not an Error' }]));
    await expect(failing).rejects.toThrow('every way of encoding failed: qsv-sw-decode (device busy); software (not an Error)');
  });
});

describe('posterArgs', () => {
  it('takes a frame 3 s in, or a third of the way into a short clip', () => {
    expect([60, 9, 2, 1].map(posterSeconds)).toEqual([3, 3, 0.667, 0.333]);
  });

  it('cuts it from the smallest rung at least as wide as the poster, else the widest', () => {
    const ladderOf = (name: string) => planLadder(probeOf(name));
    expect(posterRung(ladderOf('4k-h264-aac'), probeOf('4k-h264-aac')).name).toBe('720p');
    // Portrait: the poster is 1080 wide, so the 1080x1920 rung.
    expect(posterRung(ladderOf('rotated-phone'), probeOf('rotated-phone'))).toMatchObject({ width: 1080, height: 1920 });
    expect(posterRung(ladderOf('hevc-10bit-hlg'), probeOf('hevc-10bit-hlg')).name).toBe('720p');
  });

  it('reads one segment with its init segment and scales the frame to 1280 wide', () => {
    const source = { init: '/work/out/720p/init_720p.mp4', segment: '/work/out/720p/seg_00001.m4s', offsetSeconds: 2 };
    expect(posterArgs(source, '/work/out/poster.jpg', probeOf('4k-h264-aac'))).toEqual([
      '-hide_banner', '-nostdin', '-y', '-loglevel', 'error',
      '-ss', '2', '-i', 'concat:/work/out/720p/init_720p.mp4|/work/out/720p/seg_00001.m4s',
      '-frames:v', '1', '-vf', 'scale=1280:720', '-q:v', '3', '-update', '1', '/work/out/poster.jpg',
    ]);
  });

  it('keeps a portrait frame no wider than it is, and an odd width even', () => {
    const source = { init: 'i.mp4', segment: 's.m4s', offsetSeconds: 0 };
    const args = posterArgs(source, 'out.jpg', probeOf('rotated-phone'));
    expect(args[args.indexOf('-vf') + 1]).toBe('scale=1080:1920');
    const odd = posterArgs(source, 'out.jpg', probeOf('odd-1918x1078'));
    expect(odd[odd.indexOf('-vf') + 1]).toBe('scale=1280:720');
  });

  it('refuses a path the concat protocol would split', () => {
    expect(() => posterArgs({ init: '/a|b/init.mp4', segment: 's.m4s', offsetSeconds: 0 }, 'out.jpg', probeOf('4k-h264-aac'))).toThrow('a poster source path cannot hold "|"');
  });
});

describe('testEncodeArgs', () => {
  const source = ['-f', 'lavfi', '-i', 'testsrc2=size=256x144:rate=25', '-frames:v', '1'];
  const common = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'];

  it('encodes one frame on the device and throws it away', () => {
    expect(testEncodeArgs('vaapi', '/dev/dri/renderD129')).toEqual([
      ...common, '-init_hw_device', 'vaapi=va:/dev/dri/renderD129', '-filter_hw_device', 'va',
      ...source, '-vf', 'format=nv12,hwupload', '-c:v', 'h264_vaapi', '-f', 'null', '-',
    ]);
    expect(testEncodeArgs('qsv')).toEqual([
      ...common, '-init_hw_device', 'vaapi=va:/dev/dri/renderD128', '-init_hw_device', 'qsv=qs@va', '-filter_hw_device', 'qs',
      ...source, '-vf', 'format=nv12,hwupload=extra_hw_frames=64,format=qsv', '-c:v', 'h264_qsv', '-f', 'null', '-',
    ]);
    expect(testEncodeArgs('software')).toEqual([...common, ...source, '-vf', 'format=yuv420p', '-c:v', 'libx264', '-f', 'null', '-']);
  });
});
