import type { Rung } from '../ladder';
import { HlsCommandBuilder, type HlsCommand, type HlsJob } from './hls-command-builder';
import { softwareToneMap } from './filters';

/** libx264 on the CPU: always works, the last step of every fallback order. */
export class SoftwareBuilder extends HlsCommandBuilder {
  readonly kind = 'software';
  protected override readonly cascadeScaling = true;

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
    // rc-lookahead 5 (veryfast's is 10): x264 hands out a frame only after the frames it looks
    // ahead at, and the master playlist waits for every rung's first segment. On the bench's 4K
    // clip on 2 cores, ffmpeg wrote every rung's first segment about 0.4 s sooner (2.1 s against
    // 2.5 s, 3 runs each), the whole run was no slower, and the 1080p rung's SSIM against the
    // source stayed 0.9972 at the same size. (3 gained little more; threads 1 or sync-lookahead 0
    // slowed the whole run.)
    return ['-c:v', 'libx264', '-preset', this.options.x264Preset ?? 'veryfast', '-rc-lookahead', '5', '-profile:v', 'high', '-pix_fmt', 'yuv420p'];
  }

  protected keyframeArgs(gop: number, forced: string | null): string[] {
    // sc_threshold 0: no extra keyframes at scene cuts, so every rung's keyframes fall on the same frames.
    return ['-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', ...(forced ? ['-force_key_frames', forced] : [])];
  }
}
