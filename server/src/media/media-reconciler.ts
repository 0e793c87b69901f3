import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Config } from '@nebula/shared';
import { CONFIG } from '../config/config.module';
import type { FailedTranscode } from './media-jobs';
import { MediaPipeline } from './media-pipeline.service';
import { MediaStateRepository, type StuckVideo } from './media-state.repository';

/**
 * A state younger than this is left alone: the upload that set it may still be handing its job to
 * Redis (MediaJobs waits up to 3 s), and a worker may be between two writes.
 */
const QUIET_SECONDS = 10;

export type Verdict = { action: 'none' } | { action: 'requeue' } | { action: 'fail'; reason: string };

/**
 * What to do with a video that has been `queued` or `processing` for a while. Pure, for the tests.
 * - a live job (waiting, delayed, running): nothing, it is on its way;
 * - a failed job newer than the video's last state change: the worker could not record the failure
 *   (it was killed every time, or Postgres was down when it tried), so record it now;
 * - otherwise no job exists (Redis was down at upload, or lost its data): queue it again.
 */
export function verdictFor(video: StuckVideo, live: Set<string>, failures: Map<string, FailedTranscode>): Verdict {
  if (live.has(video.id)) return { action: 'none' };
  const failure = failures.get(video.id);
  if (failure && failure.finishedAt >= video.updatedAt.getTime()) return { action: 'fail', reason: failureReason(failure.reason) };
  return { action: 'requeue' };
}

/** BullMQ's words for a job whose worker died, in the user's; other reasons without internal addresses. */
export function failureReason(reason: string): string {
  if (/stalled more than allowable limit/i.test(reason)) return 'the worker stopped (killed or crashed) during every attempt of this transcode; replay the upload to try again';
  const cleaned = reason.replace(/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b|\[[0-9a-f:.]+\](?::\d+)?/gi, '<internal address>');
  return `the transcode failed and the worker could not record why at the time: ${cleaned}`;
}

/**
 * Makes sure no video waits forever: at the gateway's start and every NEBULA_MEDIA_RECHECK_SECONDS,
 * compares the videos Postgres says are waiting with the jobs Redis holds, and queues again or
 * fails those with no live job (see verdictFor). Postgres is the record of the work, Redis only its
 * delivery: this is the outbox's sweep, so an upload never has to wait for Redis.
 */
@Injectable()
export class MediaReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('media');
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly videos: MediaStateRepository,
    private readonly pipeline: MediaPipeline,
  ) {}

  onApplicationBootstrap(): void {
    const tick = () => {
      // One pass at a time; a pass that fails (Redis or Postgres down) is simply tried again later.
      this.running ??= this.recheck()
        .catch((error: Error) => this.logger.warn(`re-checking waiting videos failed: ${error.message}; trying again in ${this.config.mediaRecheckSeconds} s`))
        .finally(() => (this.running = undefined));
    };
    // The first pass right after start-up, without delaying it.
    setTimeout(tick, 1000).unref();
    this.timer = setInterval(tick, this.config.mediaRecheckSeconds * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; returns what it did, by file id. */
  async recheck(): Promise<{ requeued: string[]; failed: string[] }> {
    const done = { requeued: [] as string[], failed: [] as string[] };
    const waiting = await this.videos.waiting(QUIET_SECONDS);
    if (waiting.length === 0) return done;
    const [live, failures] = await Promise.all([this.pipeline.filesWithLiveJobs(), this.pipeline.latestFailures()]);
    for (const video of waiting) {
      const verdict = verdictFor(video, live, failures);
      // Each recovery is a trace of its own, from this event to the worker's log lines.
      const traceId = randomBytes(16).toString('hex');
      if (verdict.action === 'fail') {
        if (await this.pipeline.failUnrecorded(video, verdict.reason, traceId)) done.failed.push(video.id);
      } else if (verdict.action === 'requeue') {
        if (await this.pipeline.requeue(video, traceId)) done.requeued.push(video.id);
      }
    }
    return done;
  }
}
