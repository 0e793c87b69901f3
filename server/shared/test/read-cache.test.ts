import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { startS3, type TestBucket } from '../../../ops/test-support/s3-server';
import { ObjectNotFoundError, ReadCachedStorage, S3ObjectStorage, type ReadCacheOptions } from '../src/storage';

/**
 * The s3 driver's read cache (ReadCachedStorage) over a real S3 server, Ceph RGW on loopback
 * (ops/test-support/rgw-setup.ts): what it answers, when it copies, what it drops and keeps.
 */

const MiB = 1024 * 1024;
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function setup(options: Partial<ReadCacheOptions> = {}) {
  const bucket: TestBucket = await startS3();
  cleanups.push(() => bucket.stop());
  const store = new S3ObjectStorage(bucket);
  await store.check();
  const dir = await mkdtemp(join(tmpdir(), 'nebula-read-cache-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const reads: string[] = [];
  const logs: string[] = [];
  const cache = new ReadCachedStorage(store, {
    dir,
    maxBytes: 64 * MiB,
    minFreeBytes: 0,
    onRead: (answered) => reads.push(answered),
    log: (level, message) => logs.push(`${level}: ${message}`),
    ...options,
  });
  const put = async (key: string, size: number) => {
    const bytes = randomBytes(size);
    await store.put(key, Readable.from([bytes]));
    return bytes;
  };
  return { store, cache, dir, reads, logs, put };
}

/** What sendTo writes, as an HTTP response would take it (a copy of each chunk: the fs driver reuses its buffers). */
async function sent(cache: ReadCachedStorage, key: string, range?: { start: number; end: number }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const to = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  await cache.sendTo(key, range, to);
  return Buffer.concat(chunks);
}

async function got(cache: ReadCachedStorage, key: string, range?: { start: number; end: number }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await cache.get(key, range)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Reads a byte of the key twice, as a player's first two ranges would, and waits for the copy that begins. */
async function readTwice(cache: ReadCachedStorage, key: string): Promise<void> {
  await got(cache, key, { start: 0, end: 0 });
  await got(cache, key, { start: 0, end: 0 });
  await cache.settled();
}

/** The files under the cache's folder, its own partial-write folder aside. */
async function filesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

describe('read cache (s3 driver, Ceph RGW)', () => {
  it('answers an original read twice from a local copy, byte for byte, whole and by range, without asking S3 again', async () => {
    const { store, cache, dir, reads, put } = await setup();
    const bytes = await put('originals/a', 5 * MiB + 123);

    expect(await sent(cache, 'originals/a', { start: 10, end: 2 * MiB })).toEqual(bytes.subarray(10, 2 * MiB + 1));
    expect(cache.has('originals/a')).toBe(false);
    expect(await got(cache, 'originals/a', { start: 3 * MiB, end: 3 * MiB + 99 })).toEqual(bytes.subarray(3 * MiB, 3 * MiB + 100));
    await cache.settled();
    expect(cache.has('originals/a')).toBe(true);
    expect(await filesIn(dir)).toEqual(['originals/a']);
    expect(cache.usedBytes).toBe(bytes.length);

    // Gone from S3 behind the cache's back (nothing in Nebula does that): still answered, so from the copy.
    await store.delete('originals/a');
    expect(await sent(cache, 'originals/a')).toEqual(bytes);
    expect(await sent(cache, 'originals/a', { start: 5 * MiB, end: 5 * MiB + 122 })).toEqual(bytes.subarray(5 * MiB));
    expect(await got(cache, 'originals/a', { start: 1, end: 1 })).toEqual(bytes.subarray(1, 2));
    expect(reads).toEqual(['store', 'store', 'copy', 'copy', 'copy']);
  });

  it('drops a copy when the object is deleted or written through it, and reads S3 again', async () => {
    const { store, cache, dir, put } = await setup();
    await put('originals/b', MiB);
    await got(cache, 'originals/b');
    await got(cache, 'originals/b');
    await cache.settled();
    expect(cache.has('originals/b')).toBe(true);

    await cache.delete('originals/b');
    expect(cache.has('originals/b')).toBe(false);
    expect(await filesIn(dir)).toEqual([]);
    await expect(cache.get('originals/b')).rejects.toBeInstanceOf(ObjectNotFoundError);
    await expect(sent(cache, 'originals/b')).rejects.toBeInstanceOf(ObjectNotFoundError);

    const again = randomBytes(1000);
    await cache.put('originals/b', Readable.from([again]));
    expect(await got(cache, 'originals/b')).toEqual(again);
    expect(await store.stat('originals/b')).toMatchObject({ size: 1000 });
    expect(cache.usedBytes).toBe(0);
  });

  it('keeps at most its size, the least recently read going first; copies neither objects over half of it nor anything but originals', async () => {
    const { cache, dir, put } = await setup({ maxBytes: 5 * MiB });
    for (const key of ['originals/1', 'originals/2', 'originals/3']) await put(key, 2 * MiB);
    await readTwice(cache, 'originals/1');
    await readTwice(cache, 'originals/2');
    await got(cache, 'originals/1', { start: 5, end: 5 }); // 1 is now the more recently read
    await readTwice(cache, 'originals/3');
    expect(['originals/1', 'originals/2', 'originals/3'].filter((key) => cache.has(key))).toEqual(['originals/1', 'originals/3']);
    expect((await filesIn(dir)).sort()).toEqual(['originals/1', 'originals/3']);
    expect(cache.usedBytes).toBe(4 * MiB);

    await put('originals/big', 3 * MiB);
    await readTwice(cache, 'originals/big');
    await put('hls/x/seg_000.ts', MiB);
    await readTwice(cache, 'hls/x/seg_000.ts');
    expect(cache.has('originals/big') || cache.has('hls/x/seg_000.ts')).toBe(false);
    expect((await filesIn(dir)).sort()).toEqual(['originals/1', 'originals/3']);
  });

  it('makes no copy that would leave the disk under its free-space floor, and says why', async () => {
    const { cache, dir, logs, put } = await setup({ minFreeBytes: Number.MAX_SAFE_INTEGER });
    const bytes = await put('originals/c', MiB);
    expect(await got(cache, 'originals/c')).toEqual(bytes);
    expect(await got(cache, 'originals/c')).toEqual(bytes);
    await cache.settled();
    expect(cache.has('originals/c')).toBe(false);
    expect(await filesIn(dir)).toEqual([]);
    expect(logs.join('\n')).toMatch(/no copy of "originals\/c".*less than \d+ bytes free/);
    expect(await got(cache, 'originals/c')).toEqual(bytes);
  });

  it('evicts nothing for a copy the disk has no room for', async () => {
    // A test double for the disk's free space: filling this machine's disk for real is not an option.
    let free = Number.MAX_SAFE_INTEGER;
    const { cache, logs, put } = await setup({ maxBytes: 5 * MiB, minFreeBytes: 2 * MiB, retryAfterMs: 1, freeBytes: async () => free });
    for (const key of ['originals/f', 'originals/g', 'originals/h']) await put(key, 2 * MiB);
    await readTwice(cache, 'originals/f');
    await readTwice(cache, 'originals/g');
    expect(cache.usedBytes).toBe(4 * MiB);

    // 2 MiB of the 4 would go to make room for h; 1 MiB free + 2 - 2 leaves less than the 2 MiB floor.
    free = MiB;
    await readTwice(cache, 'originals/h');
    expect(['originals/f', 'originals/g', 'originals/h'].filter((key) => cache.has(key))).toEqual(['originals/f', 'originals/g']);
    expect(logs.join('\n')).toMatch(/no copy of "originals\/h"/);

    // With room for it once f has gone, h is copied and f (the least recently read) goes.
    free = 3 * MiB;
    await new Promise((resolve) => setTimeout(resolve, 5)); // past retryAfterMs
    await readTwice(cache, 'originals/h');
    expect(['originals/f', 'originals/g', 'originals/h'].filter((key) => cache.has(key))).toEqual(['originals/g', 'originals/h']);
  });

  it('abandons a copy under way when its object is deleted, leaving no file behind', async () => {
    const { cache, dir, logs, put } = await setup({ maxBytes: 256 * MiB });
    await put('originals/d', 48 * MiB);
    await got(cache, 'originals/d', { start: 0, end: 0 });
    await got(cache, 'originals/d', { start: 0, end: 0 }); // the copy begins
    await cache.delete('originals/d');
    await cache.settled();
    expect(cache.has('originals/d')).toBe(false);
    expect(logs.join('\n')).not.toMatch(/kept a copy/); // abandoned, not finished and then deleted
    expect(await filesIn(dir)).toEqual([]);
    expect(cache.usedBytes).toBe(0);
  });

  it('reads S3 again, and counts the read once, when its copy\'s file was removed behind its back', async () => {
    const { cache, dir, reads, logs, put } = await setup();
    const bytes = await put('originals/e', MiB);
    await got(cache, 'originals/e');
    await got(cache, 'originals/e');
    await cache.settled();
    await rm(join(dir, 'originals', 'e'));
    reads.length = 0;

    expect(await sent(cache, 'originals/e', { start: 7, end: 99 })).toEqual(bytes.subarray(7, 100));
    expect(reads).toEqual(['store']);
    expect(cache.has('originals/e')).toBe(false);
    expect(cache.usedBytes).toBe(0);
    expect(logs.join('\n')).toMatch(/the copy of "originals\/e" could not be read/);
  });

  it('starts empty: copies left by an earlier run are removed', async () => {
    const { store } = await setup();
    const dir = await mkdtemp(join(tmpdir(), 'nebula-read-cache-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await mkdir(join(dir, 'originals'), { recursive: true });
    await writeFile(join(dir, 'originals', 'old'), 'stale');
    const cache = new ReadCachedStorage(store, { dir, maxBytes: MiB, minFreeBytes: 0 });
    expect(await filesIn(dir)).toEqual([]);
    expect(cache.usedBytes).toBe(0);
  });
});
