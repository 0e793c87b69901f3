import { describe, expect, it } from 'vitest';
import { limitFromFreeSpace } from './upload-limit';

const GiB = 1024 ** 3;

describe('limitFromFreeSpace', () => {
  it('keeps 5% of the file system back, at most 1 GiB', () => {
    expect(limitFromFreeSpace(10 * GiB, 10 * GiB)).toBe(10 * GiB - 0.5 * GiB);
    expect(limitFromFreeSpace(300 * GiB, 2000 * GiB)).toBe(299 * GiB);
  });

  it('never says 0 (tus reads it as "no limit"): a full disk accepts 1 byte at most', () => {
    expect(limitFromFreeSpace(0, 100 * GiB)).toBe(1);
    expect(limitFromFreeSpace(100, 100 * GiB)).toBe(1);
  });
});
