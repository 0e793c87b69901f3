import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SAMPLE_BLOCK, sampleDigest, sampleHash, sampleRanges } from './sample-hash';

describe('sample hash', () => {
  it('reads a small file whole and nothing of an empty one', () => {
    expect(sampleRanges(0)).toEqual([]);
    expect(sampleRanges(10)).toEqual([{ start: 0, end: 9 }]);
    expect(sampleRanges(8 * SAMPLE_BLOCK)).toEqual([{ start: 0, end: 8 * SAMPLE_BLOCK - 1 }]);
  });

  it('reads eight blocks of a large file: the first at the start, the last ending at the end', () => {
    const size = 10 * 1024 * 1024 * 1024 + 7;
    const ranges = sampleRanges(size);
    expect(ranges).toHaveLength(8);
    expect(ranges[0]).toEqual({ start: 0, end: SAMPLE_BLOCK - 1 });
    expect(ranges[7]).toEqual({ start: size - SAMPLE_BLOCK, end: size - 1 });
    for (const range of ranges) expect(range.end - range.start + 1).toBe(SAMPLE_BLOCK);
  });

  it('is the sha256 of the size and the blocks, and tells apart files that differ only inside a sampled block', async () => {
    const bytes = Buffer.alloc(8 * SAMPLE_BLOCK + 1000, 7);
    const read = (data: Buffer) => async (r: { start: number; end: number }) => data.subarray(r.start, r.end + 1);
    const blocks = sampleRanges(bytes.length).map((r) => bytes.subarray(r.start, r.end + 1));
    const expected = createHash('sha256').update(`${bytes.length}\n`).update(Buffer.concat(blocks)).digest('hex');
    expect(await sampleHash(bytes.length, read(bytes))).toBe(`s1:${expected}`);
    expect(sampleDigest(bytes.length, blocks)).toBe(`s1:${expected}`);
    const changed = Buffer.from(bytes);
    changed[changed.length - 1] = 8;
    expect(await sampleHash(changed.length, read(changed))).not.toBe(await sampleHash(bytes.length, read(bytes)));
  });
});
