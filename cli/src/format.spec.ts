import { describe, expect, it } from 'vitest';
import { bar, formatBytes, formatDuration, formatRate } from './format';

describe('formatting', () => {
  it('shows sizes in binary units with three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(300 * 1024 * 1024)).toBe('300 MiB');
    expect(formatBytes(2 * 1024 ** 3)).toBe('2.00 GiB');
    expect(formatBytes(15.25 * 1024 ** 2)).toBe('15.3 MiB');
  });

  it('shows rates and durations, with a dash when unknown', () => {
    expect(formatRate(null)).toBe('–');
    expect(formatRate(100 * 1024 * 1024)).toBe('100 MiB/s');
    expect(formatDuration(null)).toBe('–');
    expect(formatDuration(4.4)).toBe('4s');
    expect(formatDuration(65)).toBe('1m 05s');
    expect(formatDuration(3 * 3600 + 7 * 60)).toBe('3h 07m');
  });

  it('draws bars of a fixed width', () => {
    expect(bar(0.5, 10)).toBe('█████░░░░░');
    expect(bar(2, 4)).toBe('████');
    expect(bar(Number.NaN, 4)).toBe('░░░░');
  });
});
