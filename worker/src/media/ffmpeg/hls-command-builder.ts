/**
 * Hardware acceleration is a family: one builder per encoder (software, VAAPI, QuickSync) sharing
 * the HLS parts below, each hardware builder with a hardware-decode and a software-decode variant.
 */
import type { AccelPath } from '@nebula/contract';
import type { Ladder, Rung } from '../ladder';
import type { MediaProbe } from '../probe';
import type { TopRungCopy } from '../top-rung-copy';
import { COMMON_ARGS, DEFAULT_RENDER_NODE, describeSource, kbps, PROGRESS_ARGS, requireVideo, type EncoderKind } from './common';
import { softwareToneMap, TRANSPOSE } from './filters';
import { forceKeyFrames, hlsMuxerArgs } from './hls-output';
import { forceKeyFramesList } from '../top-rung-copy';

/** One transcode: an original on local disk, its probe and plan, and the folder ffmpeg writes into. */
export interface HlsJob {
  input: string;
  outputDir: string;
  probe: MediaProbe;
  ladder: Ladder;
  /** The top rung is the source's video as it is, cut where this says (see top-rung-copy.ts). */
  copyTopRung?: TopRungCopy;
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

/** Where the source is decoded: on the GPU (frames stay there), or on the CPU and uploaded. */
export type Decode = 'hw' | 'sw';

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
  /** Keyframes at every segment boundary (`forced`: -force_key_frames' value), the same frames in every rung. */
  protected abstract keyframeArgs(gopFrames: number, forced: string | null): string[];

  protected assemble(name: AccelPath, job: HlsJob, decode: Decode): HlsCommand {
    const { ladder, copyTopRung: copy } = job;
    const rungs = ladder.rungs;
    if (rungs.length === 0) throw new Error('the ladder has no rungs: nothing to encode');
    const hasAudio = ladder.audio.mode !== 'none';
    const dir = job.outputDir.replace(/\/+$/, '');
    // Output video stream i is rung i; with a copied top rung, stream 0 takes the source's packets.
    const encoded = rungs.map((_, i) => i).filter((i) => !copy || i > 0);
    // planLadder gives every rung the same frame rate, so one GOP length serves them all.
    const keyframes = copy
      ? this.keyframeArgs(copy.gopFrames, copy.cutSeconds.length > 0 ? forceKeyFramesList(copy.cutSeconds) : null)
      : this.keyframeArgs(rungs[0]!.gopFrames, forceKeyFrames(ladder.segmentSeconds));
    const encoding = [...this.encoderArgs(), ...keyframes];

    return {
      name,
      args: [
        ...COMMON_ARGS,
        ...PROGRESS_ARGS,
        ...this.inputArgs(job, decode),
        '-i',
        job.input,
        ...(encoded.length > 0 ? ['-filter_complex', this.filterGraph(job, decode, encoded)] : []),
        ...rungs.flatMap((_, i) => ['-map', copy && i === 0 ? '0:v:0' : `[v${i}]`, ...(hasAudio ? ['-map', '0:a:0'] : [])]),
        // A copied stream refuses encoder options (-profile:v high fails on it), so each goes to the encoded streams by index.
        ...(copy ? ['-c:v:0', 'copy', ...encoded.flatMap((i) => forStream(encoding, i))] : encoding),
        ...encoded.flatMap((i) => {
          const rung = rungs[i]!;
          return [`-b:v:${i}`, kbps(rung.videoBitrate), `-maxrate:v:${i}`, kbps(rung.maxrate), `-bufsize:v:${i}`, kbps(rung.bufsize)];
        }),
        ...audioArgs(ladder),
        ...hlsMuxerArgs(dir, ladder),
      ],
    };
  }

  /**
   * Whether each rung is scaled from the next larger rung's picture rather than from the source.
   * On the CPU a scaler's cost grows with its input: five scalers each reading a 4K frame cost
   * about twice the 4K decode, and ffmpeg 5.1 runs the whole filter graph on one thread, ahead of
   * every encoder. A chain (2160p → 1440p → 1080p → ...) reads the 4K frame once; every step is a
   * downscale of at most 1.5×, so the lower rungs lose nothing visible (SSIM 0.999 against a direct
   * scale on a 4K test card). GPU scalers are cheap and keep the direct way.
   */
  protected readonly cascadeScaling: boolean = false;

  private filterGraph(job: HlsJob, decode: Decode, encoded: number[]): string {
    const rungs = job.ladder.rungs;
    const video = requireVideo(job.probe);
    const top = rungs[0]!;
    const fps = video.frameRate > 0 && top.frameRate !== video.frameRate ? [`fps=${top.frameRate}`] : [];
    const source = [...this.sourceFilters(job, decode), ...fps];
    if (this.cascadeScaling) {
      // [0:v:0]<source>,scale(a),split=2[va][ca];[ca]scale(b),split=2[vb][cb];...;[cy]scale(z)[vz]
      return encoded
        .map((i, k) => {
          const from = k === 0 ? `[0:v:0]${source.map((f) => `${f},`).join('')}` : `[c${encoded[k - 1]}]`;
          const last = k === encoded.length - 1;
          return `${from}${this.scaleFilter(rungs[i]!)}${last ? `[v${i}]` : `,split=2[v${i}][c${i}]`}`;
        })
        .join(';');
    }
    const chain = [...source, `split=${encoded.length}`].join(',');
    const splits = encoded.map((i) => `[s${i}]`).join('');
    const perRung = encoded.map((i) => `[s${i}]${this.scaleFilter(rungs[i]!)}[v${i}]`);
    return [`[0:v:0]${chain}${splits}`, ...perRung].join(';');
  }
}

/** The two ways a hardware encoder is fed: frames decoded on the GPU, or decoded on the CPU and uploaded. */
export abstract class HardwareBuilder extends HlsCommandBuilder {
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

/** Option/value pairs made to apply to output video stream `index` only: `-c:v x` → `-c:v:2 x`, `-preset x` → `-preset:v:2 x`. */
function forStream(pairs: string[], index: number): string[] {
  return pairs.map((arg, i) => (i % 2 === 0 ? `${arg.replace(/:v$/, '')}:v:${index}` : arg));
}

function audioArgs(ladder: Ladder): string[] {
  const audio = ladder.audio;
  if (audio.mode === 'none') return [];
  if (audio.mode === 'copy') return ['-c:a', 'copy'];
  return ['-c:a', 'aac', '-b:a', kbps(audio.bitrate), '-ac', String(audio.channels)];
}
