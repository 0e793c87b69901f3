/**
 * ffmpeg argument lists for the media pipeline, as pure functions of the probe and the ladder.
 * Hardware acceleration is a family: one builder per encoder (software, VAAPI, QuickSync) sharing
 * the HLS parts, each hardware builder with a hardware-decode and a software-decode variant, and
 * a fallback order a job walks down when a step fails.
 *
 * Written for ffmpeg 5.1 (Debian 12). Every list is the argv without the binary.
 */
import type { AccelPath } from '@nebula/shared';
import type { Ladder, Rung } from './ladder';
import { hlsLayout } from './hls-playlists';
import type { MediaProbe, VideoProbe } from './probe';

export type EncoderKind = 'software' | 'vaapi' | 'qsv';

/** One transcode: an original on local disk, its probe and plan, and the folder ffmpeg writes into. */
export interface HlsJob {
  input: string;
  outputDir: string;
  probe: MediaProbe;
  ladder: Ladder;
}

export interface HlsCommand {
  name: AccelPath;
  args: string[];
}

export interface BuilderOptions {
  /** The render node for VAAPI and QuickSync. */
  device?: string;
  /** x264's preset. veryfast in production; tests may ask for ultrafast to stay quick. */
  x264Preset?: string;
}

export const DEFAULT_RENDER_NODE = '/dev/dri/renderD128';

/** Quiet except for errors (their text becomes the step's error); progress as key=value on stdout. */
const COMMON_ARGS = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'];
const PROGRESS_ARGS = ['-progress', 'pipe:1', '-nostats'];

/**
 * HDR (PQ or HLG) to SDR BT.709 in software: linear light, BT.2020 → BT.709 primaries in float,
 * Hable's curve with no desaturation (phones' HDR keeps its colour), then BT.709 limited range.
 * zscale (zimg) and tonemap are both in Debian's ffmpeg 5.1.
 */
function softwareToneMap(pixelFormat: string): string[] {
  return ['zscale=t=linear:npl=100', 'format=gbrpf32le', 'zscale=p=bt709', 'tonemap=tonemap=hable:desat=0', 'zscale=t=bt709:m=bt709:r=tv', `format=${pixelFormat}`];
}

/** Where the source is decoded: on the GPU (frames stay there), or on the CPU and uploaded. */
type Decode = 'hw' | 'sw';

const TRANSPOSE: Record<VideoProbe['rotation'], string | null> = { 0: null, 90: 'clock', 180: 'reversal', 270: 'cclock' };

/** The parts every HLS command shares: input, split into rungs, rates, audio and the HLS muxer. */
export abstract class HlsCommandBuilder {
  abstract readonly kind: EncoderKind;

  constructor(protected readonly options: BuilderOptions = {}) {}

  protected get device(): string {
    return this.options.device ?? DEFAULT_RENDER_NODE;
  }

  /** Options before -i: how the input is decoded and which devices exist. */
  protected abstract inputArgs(job: HlsJob, decode: Decode): string[];
  /** Filters on the decoded picture before it is split into rungs. */
  protected abstract sourceFilters(job: HlsJob, decode: Decode): string[];
  /** The filter that makes one rung from its copy of the picture. */
  protected abstract scaleFilter(rung: Rung): string;
  protected abstract encoderArgs(): string[];
  /** Keyframes at every segment boundary, the same frames in every rung. */
  protected abstract keyframeArgs(gopFrames: number, segmentSeconds: number): string[];

  protected assemble(name: AccelPath, job: HlsJob, decode: Decode): HlsCommand {
    const { ladder } = job;
    const rungs = ladder.rungs;
    if (rungs.length === 0) throw new Error('the ladder has no rungs: nothing to encode');
    const hasAudio = ladder.audio.mode !== 'none';
    const dir = job.outputDir.replace(/\/+$/, '');

    return {
      name,
      args: [
        ...COMMON_ARGS,
        ...PROGRESS_ARGS,
        ...this.inputArgs(job, decode),
        '-i',
        job.input,
        '-filter_complex',
        this.filterGraph(job, decode),
        ...rungs.flatMap((_, i) => (hasAudio ? ['-map', `[v${i}]`, '-map', '0:a:0'] : ['-map', `[v${i}]`])),
        ...this.encoderArgs(),
        // planLadder gives every rung the same frame rate, so one GOP length serves them all.
        ...this.keyframeArgs(rungs[0]!.gopFrames, ladder.segmentSeconds),
        ...rungs.flatMap((rung, i) => [`-b:v:${i}`, kbps(rung.videoBitrate), `-maxrate:v:${i}`, kbps(rung.maxrate), `-bufsize:v:${i}`, kbps(rung.bufsize)]),
        ...audioArgs(ladder),
        ...hlsMuxerArgs(dir, ladder),
      ],
    };
  }

  private filterGraph(job: HlsJob, decode: Decode): string {
    const rungs = job.ladder.rungs;
    const video = requireVideo(job.probe);
    const top = rungs[0]!;
    const fps = video.frameRate > 0 && top.frameRate !== video.frameRate ? [`fps=${top.frameRate}`] : [];
    const chain = [...this.sourceFilters(job, decode), ...fps, `split=${rungs.length}`].join(',');
    const splits = rungs.map((_, i) => `[s${i}]`).join('');
    const perRung = rungs.map((rung, i) => `[s${i}]${this.scaleFilter(rung)}[v${i}]`);
    return [`[0:v:0]${chain}${splits}`, ...perRung].join(';');
  }
}

/** libx264 on the CPU: always works, the last step of every fallback order. */
export class SoftwareBuilder extends HlsCommandBuilder {
  readonly kind = 'software';

  command(job: HlsJob): HlsCommand {
    return this.assemble('software', job, 'sw');
  }

  protected inputArgs(): string[] {
    return [];
  }

  protected sourceFilters(job: HlsJob): string[] {
    return job.ladder.hdrToSdr ? softwareToneMap('yuv420p') : [];
  }

  protected scaleFilter(rung: Rung): string {
    return `scale=${rung.width}:${rung.height}`;
  }

  protected encoderArgs(): string[] {
    return ['-c:v', 'libx264', '-preset', this.options.x264Preset ?? 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p'];
  }

  protected keyframeArgs(gop: number, segmentSeconds: number): string[] {
    // sc_threshold 0: no extra keyframes at scene cuts, so every rung's keyframes fall on the same frames.
    return ['-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', '-force_key_frames', forceKeyFrames(segmentSeconds)];
  }
}

/** The two ways a hardware encoder is fed: frames decoded on the GPU, or decoded on the CPU and uploaded. */
abstract class HardwareBuilder extends HlsCommandBuilder {
  abstract override readonly kind: 'vaapi' | 'qsv';

  /** Whether the GPU can decode this source and do everything the ladder asks before the split. */
  abstract canHwDecode(probe: MediaProbe): boolean;

  hwDecode(job: HlsJob): HlsCommand {
    if (!this.canHwDecode(job.probe)) {
      throw new Error(`${this.kind}-hw-decode cannot handle this source (${describeSource(job.probe)}): use ${this.kind}-sw-decode`);
    }
    return this.assemble(`${this.kind}-hw-decode`, job, 'hw');
  }

  swDecode(job: HlsJob): HlsCommand {
    return this.assemble(`${this.kind}-sw-decode`, job, 'sw');
  }

  /**
   * Software decode: ffmpeg's autorotate turns the picture upright on the CPU, HDR is tone-mapped
   * there too, then frames go up to the GPU as 8-bit NV12 for scaling and encoding.
   */
  protected softwareDecodeFilters(job: HlsJob, upload: string[]): string[] {
    return [...(job.ladder.hdrToSdr ? softwareToneMap('nv12') : ['format=nv12']), ...upload];
  }

  /**
   * Hardware decode: ffmpeg 5.1's autorotate inserts a CPU filter that cannot take GPU frames, so
   * it is turned off (-noautorotate) and the picture is turned on the GPU instead.
   */
  protected rotation(job: HlsJob): string | null {
    return TRANSPOSE[requireVideo(job.probe).rotation];
  }
}

/** VAAPI (Intel and AMD on Linux) with h264_vaapi. */
export class VaapiBuilder extends HardwareBuilder {
  readonly kind = 'vaapi';

  /**
   * tonemap_vaapi only knows HDR10 (PQ) in ffmpeg 5.1; HLG would come out wrong, so HLG sources are
   * decoded in software and tone-mapped with zscale. Codecs VAAPI drivers decode.
   */
  canHwDecode(probe: MediaProbe): boolean {
    const video = probe.video;
    return !!video && VAAPI_DECODABLE.has(video.codec) && video.hdr !== 'hlg';
  }

  protected inputArgs(_job: HlsJob, decode: Decode): string[] {
    return decode === 'hw'
      ? ['-hwaccel', 'vaapi', '-hwaccel_output_format', 'vaapi', '-hwaccel_device', this.device, '-noautorotate']
      : ['-init_hw_device', `vaapi=va:${this.device}`, '-filter_hw_device', 'va'];
  }

  protected sourceFilters(job: HlsJob, decode: Decode): string[] {
    if (decode === 'sw') return this.softwareDecodeFilters(job, ['hwupload']);
    const turn = this.rotation(job);
    return [...(job.ladder.hdrToSdr ? ['tonemap_vaapi=format=nv12:t=bt709:m=bt709:p=bt709'] : []), ...(turn ? [`transpose_vaapi=dir=${turn}`] : [])];
  }

  protected scaleFilter(rung: Rung): string {
    // format=nv12: a 10-bit SDR source (P010) becomes 8-bit for H.264 High.
    return `scale_vaapi=w=${rung.width}:h=${rung.height}:format=nv12`;
  }

  protected encoderArgs(): string[] {
    return ['-c:v', 'h264_vaapi', '-profile:v', 'high', '-rc_mode', 'VBR'];
  }

  protected keyframeArgs(gop: number, segmentSeconds: number): string[] {
    // VAAPI has no scene-cut keyframes; forced keyframes become IDR frames (idr_interval 0).
    return ['-g', String(gop), '-force_key_frames', forceKeyFrames(segmentSeconds)];
  }
}

/**
 * Intel QuickSync with h264_qsv. On Linux the QSV device is derived from a VAAPI one on the render
 * node (`qsv=hw:/dev/dri/...` would read the path as an MFX implementation name and ignore it).
 */
export class QsvBuilder extends HardwareBuilder {
  readonly kind = 'qsv';

  /** vpp_qsv has no tone mapping in ffmpeg 5.1: HDR sources are decoded and tone-mapped in software. */
  canHwDecode(probe: MediaProbe): boolean {
    const video = probe.video;
    return !!video && video.codec in QSV_DECODERS && video.hdr === null;
  }

  protected inputArgs(job: HlsJob, decode: Decode): string[] {
    const devices = ['-init_hw_device', `vaapi=va:${this.device}`, '-init_hw_device', 'qsv=qs@va', '-filter_hw_device', 'qs'];
    if (decode === 'sw') return devices;
    const decoder = QSV_DECODERS[requireVideo(job.probe).codec]!;
    return [...devices, '-hwaccel', 'qsv', '-hwaccel_output_format', 'qsv', '-noautorotate', '-c:v', decoder];
  }

  protected sourceFilters(job: HlsJob, decode: Decode): string[] {
    if (decode === 'sw') return this.softwareDecodeFilters(job, ['hwupload=extra_hw_frames=64', 'format=qsv']);
    const turn = this.rotation(job);
    return turn ? [`vpp_qsv=transpose=${turn}`] : [];
  }

  protected scaleFilter(rung: Rung): string {
    return `scale_qsv=w=${rung.width}:h=${rung.height}:format=nv12`;
  }

  protected encoderArgs(): string[] {
    return ['-c:v', 'h264_qsv', '-preset', 'veryfast', '-profile:v', 'high'];
  }

  protected keyframeArgs(gop: number, segmentSeconds: number): string[] {
    // forced_idr: a forced keyframe is an IDR frame, where a segment can start.
    return ['-g', String(gop), '-forced_idr', '1', '-force_key_frames', forceKeyFrames(segmentSeconds)];
  }
}

const VAAPI_DECODABLE = new Set(['h264', 'hevc', 'mpeg2video', 'vc1', 'vp8', 'vp9', 'av1']);

/** ffmpeg's QuickSync decoders, by the codec ffprobe names. */
const QSV_DECODERS: Record<string, string> = {
  h264: 'h264_qsv',
  hevc: 'hevc_qsv',
  mpeg2video: 'mpeg2_qsv',
  vc1: 'vc1_qsv',
  vp8: 'vp8_qsv',
  vp9: 'vp9_qsv',
  av1: 'av1_qsv',
};

/** The full command for one step of a fallback order. */
export function hlsCommand(path: AccelPath, job: HlsJob, options: BuilderOptions = {}): HlsCommand {
  switch (path) {
    case 'software':
      return new SoftwareBuilder(options).command(job);
    case 'vaapi-hw-decode':
      return new VaapiBuilder(options).hwDecode(job);
    case 'vaapi-sw-decode':
      return new VaapiBuilder(options).swDecode(job);
    case 'qsv-hw-decode':
      return new QsvBuilder(options).hwDecode(job);
    case 'qsv-sw-decode':
      return new QsvBuilder(options).swDecode(job);
  }
}

/**
 * The steps a job tries, best first: hardware decode and encode, then software decode with hardware
 * encode, then software. With a probe, hardware-decode steps the source cannot use are left out.
 */
export function fallbackOrder(selected: EncoderKind, probe?: MediaProbe): AccelPath[] {
  if (selected === 'software') return ['software'];
  const builder = selected === 'vaapi' ? new VaapiBuilder() : new QsvBuilder();
  const hw: AccelPath[] = !probe || builder.canHwDecode(probe) ? [`${selected}-hw-decode`] : [];
  return [...hw, `${selected}-sw-decode`, 'software'];
}

export interface FallbackStep {
  path: AccelPath;
  error?: string;
}

export interface FallbackResult<T> {
  /** The step that produced the result. */
  path: AccelPath;
  result: T;
  /** Every step tried, in order; the failed ones with their error. */
  steps: FallbackStep[];
}

/** Every step of a fallback order failed. */
export class FallbackExhaustedError extends Error {
  override readonly name = 'FallbackExhaustedError';
  constructor(readonly steps: FallbackStep[]) {
    super(`every way of encoding failed: ${steps.map((s) => `${s.path} (${s.error ?? 'no error given'})`).join('; ')}`);
  }
}

/** Runs the steps in order until one succeeds. */
export async function walkFallback<T>(steps: readonly AccelPath[], runStep: (path: AccelPath) => Promise<T>): Promise<FallbackResult<T>> {
  const tried: FallbackStep[] = [];
  for (const path of steps) {
    try {
      const result = await runStep(path);
      tried.push({ path });
      return { path, result, steps: tried };
    } catch (error) {
      tried.push({ path, error: error instanceof Error ? error.message : String(error) });
    }
  }
  throw new FallbackExhaustedError(tried);
}

/** A poster from a few seconds in (past a fade-in), but within the first third of a short clip. */
export function posterSeconds(durationSeconds: number): number {
  return Math.round(Math.min(3, durationSeconds / 3) * 1000) / 1000;
}

export const POSTER_MAX_WIDTH = 1280;

/** Where a poster is cut from: one segment of a finished rung with its init segment, and the time into that segment. */
export interface PosterSource {
  init: string;
  segment: string;
  offsetSeconds: number;
}

/** The poster's size: upright, at most 1280 wide, even. */
function posterSize(probe: MediaProbe): { width: number; height: number } {
  const video = requireVideo(probe);
  const width = Math.min(POSTER_MAX_WIDTH, Math.floor(video.displayWidth / 2) * 2);
  return { width, height: Math.max(2, Math.round((video.displayHeight * width) / video.displayWidth / 2) * 2) };
}

/**
 * The rung a poster is cut from: the smallest at least as wide as the poster, else the widest.
 * The rungs are upright, 8-bit SDR BT.709 already, so the poster is neither rotated nor tone-mapped
 * again, and a 1280 px JPEG does not cost a 4K (or 10-bit HEVC) decode.
 */
export function posterRung(ladder: Ladder, probe: MediaProbe): Rung {
  const { width } = posterSize(probe);
  const byWidth = [...ladder.rungs].sort((a, b) => a.width - b.width);
  return byWidth.find((rung) => rung.width >= width) ?? byWidth.at(-1)!;
}

/** One JPEG frame from a rung's fMP4 segment (read with its init segment through the concat protocol). */
export function posterArgs(source: PosterSource, output: string, probe: MediaProbe): string[] {
  const { width, height } = posterSize(probe);
  if (source.init.includes('|') || source.segment.includes('|')) throw new Error(`a poster source path cannot hold "|": ${source.init} ${source.segment}`);
  return [
    ...COMMON_ARGS,
    '-ss',
    String(source.offsetSeconds),
    '-i',
    `concat:${source.init}|${source.segment}`,
    '-frames:v',
    '1',
    '-vf',
    `scale=${width}:${height}`,
    '-q:v',
    '3',
    '-update',
    '1',
    output,
  ];
}

/**
 * The one-frame encode `NEBULA_HWACCEL=auto` runs at worker start: a device is used only once it
 * has encoded a frame, since a render node can exist without a working driver.
 */
export function testEncodeArgs(kind: EncoderKind, device: string = DEFAULT_RENDER_NODE): string[] {
  const source = ['-f', 'lavfi', '-i', 'testsrc2=size=256x144:rate=25', '-frames:v', '1'];
  const sink = ['-f', 'null', '-'];
  switch (kind) {
    case 'software':
      return [...COMMON_ARGS, ...source, '-vf', 'format=yuv420p', '-c:v', 'libx264', ...sink];
    case 'vaapi':
      return [...COMMON_ARGS, '-init_hw_device', `vaapi=va:${device}`, '-filter_hw_device', 'va', ...source, '-vf', 'format=nv12,hwupload', '-c:v', 'h264_vaapi', ...sink];
    case 'qsv':
      return [
        ...COMMON_ARGS,
        '-init_hw_device',
        `vaapi=va:${device}`,
        '-init_hw_device',
        'qsv=qs@va',
        '-filter_hw_device',
        'qs',
        ...source,
        '-vf',
        'format=nv12,hwupload=extra_hw_frames=64,format=qsv',
        '-c:v',
        'h264_qsv',
        ...sink,
      ];
  }
}

function audioArgs(ladder: Ladder): string[] {
  const audio = ladder.audio;
  if (audio.mode === 'none') return [];
  if (audio.mode === 'copy') return ['-c:a', 'copy'];
  return ['-c:a', 'aac', '-b:a', kbps(audio.bitrate), '-ac', String(audio.channels)];
}

function hlsMuxerArgs(dir: string, ladder: Ladder): string[] {
  const withAudio = ladder.audio.mode !== 'none';
  const streamMap = ladder.rungs.map((rung, i) => (withAudio ? `v:${i},a:${i},name:${rung.name}` : `v:${i},name:${rung.name}`)).join(' ');
  return [
    '-f',
    'hls',
    '-hls_time',
    String(ladder.segmentSeconds),
    // With the keyframes of forceKeyFrames: a short first segment, then segmentSeconds.
    ...(ladder.segmentSeconds > FIRST_SEGMENT_SECONDS ? ['-hls_init_time', String(FIRST_SEGMENT_SECONDS)] : []),
    // EVENT while encoding: players may start early and keep polling; finalizeVariantPlaylist makes it VOD.
    '-hls_playlist_type',
    'event',
    '-hls_list_size',
    '0',
    '-hls_segment_type',
    'fmp4',
    // %v is the rung's name, and the init file sits beside the segments in the rung's folder.
    // ffmpeg 5.1 leaves %v as is in the init file's name when there is only one variant stream
    // (it does expand it in folders and playlists), so a one-rung ladder names it outright.
    '-hls_fmp4_init_filename',
    ladder.rungs.length === 1 ? `init_${ladder.rungs[0]!.name}.mp4` : 'init_%v.mp4',
    '-hls_segment_filename',
    `${dir}/%v/seg_%05d.m4s`,
    // temp_file: a segment appears under its name only once complete, for the publisher watching the folder.
    '-hls_flags',
    'independent_segments+temp_file',
    '-master_pl_name',
    hlsLayout.master,
    '-var_stream_map',
    streamMap,
    `${dir}/${hlsLayout.variantPlaylist('%v')}`,
  ];
}

/**
 * The first segment is short, so a player can start about a second of encoding after the job
 * begins instead of a whole segment (on 2 cores a 4K ladder encodes far slower than real time).
 * The HLS muxer cuts the n-th segment at the first keyframe at or after n × hls_init_time (with an
 * unbounded playlist it never switches to hls_time), so the keyframes alone decide the lengths:
 * 0, then FIRST_SEGMENT_SECONDS, then every segmentSeconds after it — 1 s, 4 s, 4 s, ...
 */
export const FIRST_SEGMENT_SECONDS = 1;

/** Keyframes at 0, FIRST_SEGMENT_SECONDS, and every segment length after it, whatever the frame rate. */
function forceKeyFrames(segmentSeconds: number): string {
  if (segmentSeconds <= FIRST_SEGMENT_SECONDS) return `expr:gte(t,n_forced*${segmentSeconds})`;
  // n=0 → 0; n≥1 → FIRST + (n-1)·segment, written so that it needs no if().
  return `expr:gte(t,max(n_forced*${segmentSeconds}-${segmentSeconds - FIRST_SEGMENT_SECONDS},n_forced*${FIRST_SEGMENT_SECONDS}))`;
}

function kbps(bps: number): string {
  return `${Math.round(bps / 1000)}k`;
}

function requireVideo(probe: MediaProbe): VideoProbe {
  if (!probe.video) throw new Error('an HLS ladder needs a video stream: audio-only files are served as they are');
  return probe.video;
}

function describeSource(probe: MediaProbe): string {
  const video = probe.video;
  return video ? [video.codec, video.hdr ? `HDR ${video.hdr.toUpperCase()}` : null].filter(Boolean).join(', ') : 'no video';
}
