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
    return ['-c:v', 'libx264', '-preset', this.options.x264Preset ?? 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p'];
  }

  protected keyframeArgs(gop: number, forced: string | null): string[] {
    // sc_threshold 0: no extra keyframes at scene cuts, so every rung's keyframes fall on the same frames.
    return ['-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', ...(forced ? ['-force_key_frames', forced] : [])];
  }
}
