import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { DataStore } from '@tus/utils';
import { describe, expect, it } from 'vitest';
import { UploadHashes } from './upload-hashes';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Test double for a tus store: keeps what it is given, one entry per write, as the file store writes. */
function recordingStore(): { store: DataStore; writes: Buffer[] } {
  const writes: Buffer[] = [];
  const store = {
    async write(readable: Readable, _id: string, offset: number): Promise<number> {
      let total = offset;
      for await (const chunk of readable) {
        writes.push(chunk as Buffer);
        total += (chunk as Buffer).length;
      }
      return total;
    },
  } as unknown as DataStore;
  return { store, writes };
}

/** A request body as it arrives: 64 KiB at a time. */
function body(bytes: Buffer, chunk = 64 * KiB): Readable {
  const chunks: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += chunk) chunks.push(bytes.subarray(start, start + chunk));
  return Readable.from(chunks);
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('UploadHashes', () => {
  it('hands the store the request’s chunks as they are (no copy), and hashes exactly what it handed over', async () => {
    const hashes = new UploadHashes();
    const { store, writes } = recordingStore();
    hashes.attach(store);
    const bytes = randomBytes(MiB + 100);
    const chunks = body(bytes);
    expect(await store.write(chunks as never, 'w', 0)).toBe(bytes.length);
    expect(writes.map((w) => w.length)).toEqual([...Array(16).fill(64 * KiB), 100]);
    expect(writes[0]!.buffer).toBe(bytes.buffer);
    expect(Buffer.concat(writes).equals(bytes)).toBe(true);
    expect(hashes.digest('w', bytes.length)).toBe(sha256(bytes));
  });

  it('carries the hash over PATCHes that continue where the last one ended', async () => {
    const hashes = new UploadHashes();
    const { store } = recordingStore();
    hashes.attach(store);
    const bytes = randomBytes(3 * MiB);
    const first = await store.write(body(bytes.subarray(0, MiB + 5)) as never, 'b', 0);
    await store.write(body(bytes.subarray(first)) as never, 'b', first);
    expect(hashes.digest('b', bytes.length)).toBe(sha256(bytes));
  });

  it('drops the hash when a PATCH breaks off, so the finished upload is hashed from storage instead', async () => {
    const hashes = new UploadHashes();
    const { store } = recordingStore();
    hashes.attach(store);
    const broken = new Readable({ read() {} });
    broken.push(randomBytes(512 * KiB));
    setImmediate(() => broken.destroy(new Error('client went away')));
    await expect(store.write(broken as never, 'c', 0)).rejects.toThrow('client went away');
    expect(hashes.digest('c', 512 * KiB)).toBeNull();
  });
});
