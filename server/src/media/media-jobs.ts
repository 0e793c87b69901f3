import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { MEDIA_QUEUE, TRANSCODE_JOB, type TranscodeJob, MEDIA_HW_QUEUE } from '@nebula/contract';

/**
 * How long an enqueue may wait for Redis. BullMQ waits for its connection without limit, so with
 * Redis down an upload's last PATCH would hang; past this the job is left to the MediaReconciler.
 */
export const ENQUEUE_TIMEOUT_MS = 3000;

/** The job states in which a transcode will still run (or runs now). */
const LIVE_STATES = ['active', 'waiting', 'delayed', 'prioritized', 'waiting-children'] as const;
/** How many of the newest failed jobs the reconciler looks at. */
const FAILED_LOOKBACK = 1000;

export interface FailedTranscode {
  fileId: string;
  reason: string;
  finishedAt: number;
}

/** The BullMQ side of the media pipeline: one `transcode` job per run on the `media` queue. Only MediaPipeline uses it. */
@Injectable()
export class MediaJobs {
  private readonly logger = new Logger('media');

  constructor(
    @InjectQueue(MEDIA_QUEUE) private readonly queue: Queue<TranscodeJob>,
    // Heavy jobs a worker node moved aside for a hardware node (worker/src/media/media-placement.ts).
    @InjectQueue(MEDIA_HW_QUEUE) private readonly hardwareQueue: Queue<TranscodeJob>,
  ) {}

  /**
   * Queues a transcode. Resolves false, without throwing, when Redis does not take it within
   * ENQUEUE_TIMEOUT_MS: the file stays `queued` in Postgres, and MediaReconciler queues it once
   * Redis is back. (A timed-out add may still land later; the reconciler sees it then, and a rare
   * second run of the same file is harmless: each run writes its own folder.)
   */
  async enqueue(fileId: string, traceId: string): Promise<boolean> {
    const added = this.queue.add(
      TRANSCODE_JOB,
      { fileId, traceId },
      {
        // A fresh id per run: a replay must not be swallowed by BullMQ's de-duplication of a finished job.
        jobId: `transcode-${fileId}-${Date.now()}`,
        attempts: 3,
        backoff: { type: 'exponential', delay: 5000 },
        removeOnComplete: { age: 7 * 24 * 3600 },
        removeOnFail: { age: 30 * 24 * 3600 },
      },
    );
    try {
      await withTimeout(added, ENQUEUE_TIMEOUT_MS, 'Redis did not answer');
      return true;
    } catch (error) {
      added.catch(() => undefined);
      this.logger.warn(`could not queue the transcode of file ${fileId} (${error instanceof Error ? error.message : String(error)}): it stays queued and is handed to the queue when Redis is back`);
      return false;
    }
  }

  /** The files that have a transcode job waiting, delayed or running. */
  async filesWithLiveJobs(): Promise<Set<string>> {
    const jobs = (await Promise.all([this.queue, this.hardwareQueue].map((q) => q.getJobs([...LIVE_STATES])))).flat();
    return new Set(jobs.filter(isTranscode).map((job) => job.data.fileId));
  }

  /** The newest failed transcode of each file, among the latest failed jobs. */
  async latestFailures(): Promise<Map<string, FailedTranscode>> {
    const jobs = (await Promise.all([this.queue, this.hardwareQueue].map((q) => q.getJobs(['failed'], 0, FAILED_LOOKBACK - 1)))).flat();
    const latest = new Map<string, FailedTranscode>();
    for (const job of jobs.filter(isTranscode)) {
      const finishedAt = job.finishedOn ?? job.timestamp;
      const known = latest.get(job.data.fileId);
      if (!known || known.finishedAt < finishedAt) latest.set(job.data.fileId, { fileId: job.data.fileId, reason: job.failedReason ?? 'no reason given', finishedAt });
    }
    return latest;
  }
}

function isTranscode(job: Job<TranscodeJob> | undefined): job is Job<TranscodeJob> {
  return !!job && job.name === TRANSCODE_JOB && typeof job.data?.fileId === 'string';
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
