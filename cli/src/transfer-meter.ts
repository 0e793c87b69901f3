/**
 * Speed and time left of a transfer, from (time, bytes) samples: the rate over the last few
 * seconds, so a stall shows quickly and one slow moment does not dominate. Time is passed in, which
 * keeps this pure.
 */
export class TransferMeter {
  private readonly samples: { at: number; bytes: number }[] = [];

  constructor(private readonly windowMs = 5_000) {}

  /** Bytes done so far (a running total, not a delta) at time `at` (ms). */
  sample(at: number, bytes: number): void {
    const last = this.samples.at(-1);
    if (last && bytes < last.bytes) this.samples.length = 0; // restarted from a lower offset
    this.samples.push({ at, bytes });
    while (this.samples.length > 2 && (this.samples[1] as { at: number }).at <= at - this.windowMs) this.samples.shift();
  }

  /** Bytes per second, or null until there is half a second of history. */
  rate(): number | null {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at - first.at < 500) return null;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
  }

  /** Seconds until `total`, or null when the rate is unknown or zero. */
  eta(total: number): number | null {
    const rate = this.rate();
    const last = this.samples.at(-1);
    if (!rate || !last) return null;
    return Math.max(0, (total - last.bytes) / rate);
  }
}
