import { CliError, EXIT } from './errors';

export type Outcome<T, R> = { item: T; ok: true; value: R } | { item: T; ok: false; error: unknown };

export const MAX_CONCURRENCY = 16;

/** --concurrency as typed: a whole number from 1 to 16. */
export function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY) {
    throw new CliError(`--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, got "${value}"`, EXIT.usage, 'usage');
  }
  return n;
}

/**
 * Runs `work` over items with at most `concurrency` running at once, starting them in list order.
 * A failing item does not stop the others: every item gets an outcome, in list order. After stop(),
 * no new item starts (the ones running finish or are aborted by their owner) and the rest are
 * reported as not started.
 */
export class UploadQueue<T, R> {
  private stopped = false;
  private running = 0;

  constructor(private readonly concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }

  get active(): number {
    return this.running;
  }

  stop(): void {
    this.stopped = true;
  }

  async run(items: readonly T[], work: (item: T, index: number) => Promise<R>): Promise<{ outcomes: Outcome<T, R>[]; notStarted: T[] }> {
    const outcomes: (Outcome<T, R> | undefined)[] = new Array(items.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (!this.stopped && next < items.length) {
        const index = next++;
        const item = items[index] as T;
        this.running++;
        try {
          outcomes[index] = { item, ok: true, value: await work(item, index) };
        } catch (error) {
          outcomes[index] = { item, ok: false, error };
        } finally {
          this.running--;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, items.length) }, lane));
    const done = outcomes.filter((outcome): outcome is Outcome<T, R> => outcome !== undefined);
    return { outcomes: done, notStarted: items.filter((_, index) => outcomes[index] === undefined) };
  }
}
