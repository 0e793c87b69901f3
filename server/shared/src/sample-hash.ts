import { createHash } from 'node:crypto';

/** Bytes read at each sampled place. */
export const SAMPLE_BLOCK = 64 * 1024;
/** Places sampled: the start, the end and evenly between. */
export const SAMPLE_BLOCKS = 8;

/**
 * Where the sample hash of a file of `size` bytes reads: SAMPLE_BLOCKS blocks of SAMPLE_BLOCK bytes,
 * the first at 0, the last ending at the end, the rest evenly between; a file too small for that is
 * read whole. Half a megabyte of a 50 GB file is enough to tell two files of the same size apart
 * before anyone reads either in full (only the sha256 then proves them equal).
 */
export function sampleRanges(size: number): { start: number; end: number }[] {
  if (size === 0) return [];
  if (size <= SAMPLE_BLOCK * SAMPLE_BLOCKS) return [{ start: 0, end: size - 1 }];
  const step = (size - SAMPLE_BLOCK) / (SAMPLE_BLOCKS - 1);
  return Array.from({ length: SAMPLE_BLOCKS }, (_, i) => {
    const start = Math.round(i * step);
    return { start, end: start + SAMPLE_BLOCK - 1 };
  });
}

/** "s1:" + the hex sha256 of the size (decimal, then a newline) and the sampled blocks in order. */
export function sampleDigest(size: number, blocks: readonly Uint8Array[]): string {
  const hash = createHash('sha256').update(`${size}\n`);
  for (const block of blocks) hash.update(block);
  return `s1:${hash.digest('hex')}`;
}

/** The sample hash of `size` bytes, reading each sampled range with `read` (inclusive ends, like HTTP ranges). */
export async function sampleHash(size: number, read: (range: { start: number; end: number }) => Promise<Uint8Array>): Promise<string> {
  const blocks: Uint8Array[] = [];
  for (const range of sampleRanges(size)) blocks.push(await read(range));
  return sampleDigest(size, blocks);
}
