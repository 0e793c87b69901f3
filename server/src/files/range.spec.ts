import { describe, expect, it } from 'vitest';
import { decideRange, notModified } from './range';

const validators = { etag: '"abc"', lastModified: new Date('2026-11-01T10:00:00Z') };
const decide = (range?: string, ifRange?: string, size = 1000) => decideRange({ range, ifRange }, size, validators);

describe('decideRange', () => {
  it('sends everything without a Range header', () => {
    expect(decide()).toEqual({ kind: 'full' });
  });
  it('serves the first, a middle and the last bytes', () => {
    expect(decide('bytes=0-99')).toEqual({ kind: 'partial', range: { start: 0, end: 99 } });
    expect(decide('bytes=500-599')).toEqual({ kind: 'partial', range: { start: 500, end: 599 } });
    expect(decide('bytes=999-999')).toEqual({ kind: 'partial', range: { start: 999, end: 999 } });
  });
  it('serves suffix and open ranges, clamping to the end', () => {
    expect(decide('bytes=-100')).toEqual({ kind: 'partial', range: { start: 900, end: 999 } });
    expect(decide('bytes=900-')).toEqual({ kind: 'partial', range: { start: 900, end: 999 } });
    expect(decide('bytes=900-5000')).toEqual({ kind: 'partial', range: { start: 900, end: 999 } });
    expect(decide('bytes=-5000')).toEqual({ kind: 'partial', range: { start: 0, end: 999 } });
  });
  it('answers 416 for a range that starts past the end, and for any range of an empty file', () => {
    expect(decide('bytes=1000-')).toEqual({ kind: 'unsatisfiable' });
    expect(decide('bytes=2000-3000')).toEqual({ kind: 'unsatisfiable' });
    expect(decide('bytes=0-', undefined, 0)).toEqual({ kind: 'unsatisfiable' });
  });
  it('ignores malformed, non-byte and multiple ranges', () => {
    expect(decide('bytes=abc')).toEqual({ kind: 'full' });
    expect(decide('items=0-5')).toEqual({ kind: 'full' });
    expect(decide('bytes=0-9,500-509')).toEqual({ kind: 'full' });
  });

  it('ignores an invalid range whose last byte comes before its first, but refuses a valid one past the end', () => {
    expect(decide('bytes=5-3')).toEqual({ kind: 'full' });
    expect(decide('bytes=0-9, 5-3')).toEqual({ kind: 'full' });
    expect(decide('bytes=2000-1000')).toEqual({ kind: 'full' });
    expect(decide('bytes=2000-3000')).toEqual({ kind: 'unsatisfiable' });
    expect(decide('bytes=5-5')).toEqual({ kind: 'partial', range: { start: 5, end: 5 } });
  });
  it('merges overlapping ranges into one', () => {
    expect(decide('bytes=0-9,5-19')).toEqual({ kind: 'partial', range: { start: 0, end: 19 } });
  });
  it('honours If-Range only when the ETag or date still matches', () => {
    expect(decide('bytes=0-9', '"abc"')).toEqual({ kind: 'partial', range: { start: 0, end: 9 } });
    expect(decide('bytes=0-9', '"stale"')).toEqual({ kind: 'full' });
    expect(decide('bytes=0-9', 'W/"abc"')).toEqual({ kind: 'full' });
    expect(decide('bytes=0-9', 'Sun, 01 Nov 2026 10:00:00 GMT')).toEqual({ kind: 'partial', range: { start: 0, end: 9 } });
    expect(decide('bytes=0-9', 'Sun, 01 Nov 2026 09:00:00 GMT')).toEqual({ kind: 'full' });
  });
});

describe('notModified', () => {
  it('matches listed, weak and wildcard tags', () => {
    expect(notModified('"abc"', '"abc"')).toBe(true);
    expect(notModified('"x", W/"abc"', '"abc"')).toBe(true);
    expect(notModified('*', '"abc"')).toBe(true);
    expect(notModified('"x"', '"abc"')).toBe(false);
    expect(notModified(undefined, '"abc"')).toBe(false);
  });
});
