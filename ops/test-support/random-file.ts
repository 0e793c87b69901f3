import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

/** A file of pseudo-random (incompressible) bytes, written 1 MiB at a time; returns its sha256. */
export async function makeRandomFile(path: string, size: number): Promise<string> {
  const MiB = 1024 * 1024;
  const hash = createHash('sha256');
  const block = randomBytes(MiB);
  await pipeline(
    (async function* () {
      for (let i = 0; i * MiB < size; i++) {
        const chunk = Buffer.from(block.subarray(0, Math.min(MiB, size - i * MiB)));
        chunk.writeUInt32BE(i, 0);
        hash.update(chunk);
        yield chunk;
      }
    })(),
    createWriteStream(path),
  );
  return hash.digest('hex');
}
