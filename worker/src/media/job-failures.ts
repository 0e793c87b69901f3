import type { Job } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import { dependencyFailure } from '@nebula/shared';

// How a media job can fail besides its video: a lock it lost, or a part of Nebula that is down.

/**
 * This run no longer holds its job: the lock lapsed (the node was cut off, or stalled) and another
 * node may run it now. Nothing more of this run may be published or recorded as the file's state.
 */
export class LostJobError extends Error {
  override readonly name = 'LostJobError';
}

/**
 * Whether a job failed because a part of Nebula is down (Postgres, object storage, a connection
 * refused), rather than because of its video: then it waits and runs again without spending one of
 * its attempts (MediaWorker). A lost lock is not: another node runs the job.
 */
export function isOutage(error: unknown): boolean {
  return !(error instanceof LostJobError) && dependencyFailure(error)?.statusCode === 503;
}

/** One line for the log: which part is down, in the words the gateway answers with, and the driver's own message. */
export function describeOutage(error: unknown): string {
  const part = dependencyFailure(error)?.message.split(';')[0] ?? 'a part of Nebula is not answering';
  return `${part} (${error instanceof Error ? error.message : String(error)})`;
}

/** The first wait of a job that met an outage; it doubles with each outage in a row... */
const OUTAGE_FIRST_WAIT_MS = 2000;
/** ...up to this. */
const OUTAGE_MAX_WAIT_MS = 30_000;

/**
 * How long a job that met an outage waits before it runs again: 2, 4, 8, 16, 30, 30 ... s. Its
 * starts beyond its counted attempts are the outages (and stalls) it met.
 */
export function outageWaitMs(job: Pick<Job, 'attemptsStarted' | 'attemptsMade'>): number {
  const outages = Math.max(0, job.attemptsStarted - job.attemptsMade - 1);
  return Math.min(OUTAGE_MAX_WAIT_MS, OUTAGE_FIRST_WAIT_MS * 2 ** Math.min(outages, 16));
}

/** How long a finished encode waits for a part of Nebula to come back before it gives the job up (to run again from the start). */
const FINISH_OUTAGE_BUDGET_MS = 10 * 60_000;

/**
 * Runs `step`, a part of a job that comes after its encode, again and again while it meets an
 * outage (2, 4, 8, 16, 30, 30 ... s apart, for at most `budgetMs` in all), rather than letting the
 * outage end the run: the whole job would then run again and encode everything again, minutes or
 * hours of work for a Postgres restart of a few seconds. `step` must be safe to repeat. A stop of
 * `signal` (a delete, a lost lock) ends the wait with its reason; any other failure goes up at once.
 */
export async function outlastOutage<T>(
  step: () => Promise<T>,
  options: { signal: AbortSignal; onWait: (error: unknown, waitMs: number) => void; budgetMs?: number; firstWaitMs?: number },
): Promise<T> {
  const deadline = Date.now() + (options.budgetMs ?? FINISH_OUTAGE_BUDGET_MS);
  let wait = options.firstWaitMs ?? OUTAGE_FIRST_WAIT_MS;
  for (;;) {
    try {
      return await step();
    } catch (error) {
      if (!isOutage(error) || options.signal.aborted || Date.now() + wait > deadline) throw error;
      options.onWait(error, wait);
      await sleep(wait, undefined, { signal: options.signal }).catch(() => {
        throw options.signal.reason ?? error;
      });
      wait = Math.min(OUTAGE_MAX_WAIT_MS, wait * 2);
    }
  }
}
