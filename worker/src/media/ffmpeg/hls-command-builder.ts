/**
 * Hardware acceleration is a family: one builder per encoder (software, VAAPI, QuickSync) sharing
 * the HLS parts below, each hardware builder with a hardware-decode and a software-decode variant.
 */
import type { AccelPath } from '@nebula/contract';
import type { Ladder, Rung } from '../ladder';
import type { MediaProbe } from '../probe';
import { COMMON_ARGS, DEFAULT_RENDER_NODE, describeSource, kbps, PROGRESS_ARGS, requireVideo, type EncoderKind } from './common';
import { softwareToneMap, TRANSPOSE } from './filters';
import { hlsMuxerArgs } from './hls-output';

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

function audioArgs(ladder: Ladder): string[] {
  const audio = ladder.audio;
  if (audio.mode === 'none') return [];
  if (audio.mode === 'copy') return ['-c:a', 'copy'];
  return ['-c:a', 'aac', '-b:a', kbps(audio.bitrate), '-ac', String(audio.channels)];
}
