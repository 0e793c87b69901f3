import { describe, expect, it } from 'vitest';
import { TransferMeter } from './transfer-meter';

describe('TransferMeter', () => {
  it('knows nothing until half a second has passed', () => {
    const meter = new TransferMeter();
    meter.sample(0, 0);
    meter.sample(200, 1000);
    expect(meter.rate()).toBeNull();
    expect(meter.eta(10_000)).toBeNull();
  });

  it('measures the rate over the recent window and derives the time left', () => {
    const meter = new TransferMeter(2_000);
    meter.sample(0, 0);
    meter.sample(1_000, 100 * 1024 * 1024);
    expect(meter.rate()).toBe(100 * 1024 * 1024);
    expect(meter.eta(300 * 1024 * 1024)).toBe(2);
    // Then it slows down: the fast first second leaves the window (which reaches back to the
    // last sample before it, here t=1s).
    meter.sample(3_000, 110 * 1024 * 1024);
    meter.sample(4_000, 120 * 1024 * 1024);
    expect(meter.rate()).toBe((20 * 1024 * 1024) / 3);
  });

  it('starts over when the byte count goes back (an upload resumed from an earlier offset)', () => {
    const meter = new TransferMeter();
    meter.sample(0, 500);
    meter.sample(1_000, 1_500);
    meter.sample(1_100, 200);
    expect(meter.rate()).toBeNull();
  });
});
