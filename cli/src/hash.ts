import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** 1 MiB reads hash about twice as fast as the 64 KiB default (measured: ~1 GB/s vs ~0.45 GB/s). */
const READ_SIZE = 1024 * 1024;

/**
 * Feeds bytes [0, end) of a file into `hash`, streaming: memory stays at one read buffer whatever
 * the file's size. `onProgress` gets the bytes hashed so far.
 */
export async function hashFileInto(hash: Hash, path: string, options: { end?: number; onProgress?: (bytes: number) => void } = {}): Promise<number> {
  if (options.end === 0) return 0;
  const stream = createReadStream(path, { highWaterMark: READ_SIZE, end: options.end === undefined ? undefined : options.end - 1 });
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
    options.onProgress?.(bytes);
  }
  return bytes;
}

/** The hex sha256 of a whole file, read once as a stream. */
export async function sha256File(path: string, onProgress?: (bytes: number) => void): Promise<string> {
  const hash = createHash('sha256');
  await hashFileInto(hash, path, { onProgress });
  return hash.digest('hex');
}
