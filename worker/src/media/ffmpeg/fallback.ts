/** The fallback order a job walks down when an encoding step fails: hardware first, software last. */
import type { AccelPath } from '@nebula/contract';
import type { MediaProbe } from '../probe';
import type { EncoderKind } from './common';
import type { BuilderOptions, HlsCommand, HlsJob } from './hls-command-builder';
import { QsvBuilder } from './qsv.builder';
import { SoftwareBuilder } from './software.builder';
import { VaapiBuilder } from './vaapi.builder';

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

/**
 * Runs the steps in order until one succeeds. An error `stops` says is not the step's own (Postgres
 * down while a step published its segments) ends the walk as it is: the next step would meet it too.
 */
export async function walkFallback<T>(steps: readonly AccelPath[], runStep: (path: AccelPath) => Promise<T>, stops: (error: unknown) => boolean = () => false): Promise<FallbackResult<T>> {
  const tried: FallbackStep[] = [];
  for (const path of steps) {
    try {
      const result = await runStep(path);
      tried.push({ path });
      return { path, result, steps: tried };
    } catch (error) {
      if (stops(error)) throw error;
      tried.push({ path, error: error instanceof Error ? error.message : String(error) });
    }
  }
  throw new FallbackExhaustedError(tried);
}
