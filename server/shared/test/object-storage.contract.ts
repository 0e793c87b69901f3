import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { ObjectNotFoundError, putFile, type ObjectStorage } from '../src/storage';

const MiB = 1024 * 1024;

/**
 * What every object-storage driver must do, so nothing above the port needs to know which one runs.
 * `makeStorage` returns a store nobody has used yet (for s3: a bucket that does not exist yet);
 * the suite calls check() on it first, as the gateway does at start.
 */
export function objectStorageContract(name: string, makeStorage: () => ObjectStorage | Promise<ObjectStorage>): void {
  describe(`object storage contract: ${name}`, () => {
    let storage: ObjectStorage;

    beforeAll(async () => {
      storage = await makeStorage();
      await storage.check();
    });

    it('check() passes on a fresh store, which is then usable', async () => {
      const fresh = await makeStorage();
      await expect(fresh.check()).resolves.toBeUndefined();
      await fresh.put('fresh/hello.txt', Readable.from([Buffer.from('hello')]));
      expect(await fresh.stat('fresh/hello.txt')).toMatchObject({ key: 'fresh/hello.txt', size: 5 });
    });

    it('gives back a small object byte for byte, and put reports its size', async () => {
      const body = Buffer.from('ünïcödé bytes\n\0\xff');
      const stat = await storage.put('small/one.txt', Readable.from([body]), { contentType: 'text/plain' });
      expect(stat).toMatchObject({ key: 'small/one.txt', size: body.length });
      expect(stat.modified).toBeInstanceOf(Date);
      expect(await readAll(await storage.get('small/one.txt'))).toEqual(body);
    });

    it('stores an empty object', async () => {
      expect(await storage.put('small/empty', Readable.from([]))).toMatchObject({ size: 0 });
      expect(await readAll(await storage.get('small/empty'))).toEqual(Buffer.alloc(0));
    });

    it('writes a local file as an object (putFile: the driver\u2019s own copy, or put() with a read stream), and replaces one put before', async () => {
      const folder = await mkdtemp(join(tmpdir(), 'nebula-putfile-'));
      try {
        const file = join(folder, 'seg_00000.m4s');
        const body = randomBytes(3 * MiB + 17);
        await writeFile(file, body);
        await storage.put('files/seg.m4s', Readable.from([Buffer.from('an older run')]));
        expect(await putFile(storage, 'files/seg.m4s', file, { contentType: 'video/iso.segment' })).toMatchObject({ key: 'files/seg.m4s', size: body.length });
        // (Digests, not the buffers: a deep equality of 3 MiB takes vitest seconds.)
        expect(sha256(await readAll(await storage.get('files/seg.m4s')))).toBe(sha256(body));
        // The file is the caller's still: the object does not change with it.
        await writeFile(file, 'changed afterwards');
        expect(await readAll(await storage.get('files/seg.m4s', { start: 0, end: 9 }))).toEqual(body.subarray(0, 10));
        // A file that is not there: nothing is written.
        await expect(putFile(storage, 'files/none.m4s', join(folder, 'none.m4s'))).rejects.toMatchObject({ code: 'ENOENT' });
        expect(await storage.stat('files/none.m4s')).toBeNull();
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    });

    it('replaces an object put twice', async () => {
      await storage.put('small/twice', Readable.from([Buffer.from('first version')]));
      await storage.put('small/twice', Readable.from([Buffer.from('second')]));
      expect((await readAll(await storage.get('small/twice'))).toString()).toBe('second');
      expect(await storage.stat('small/twice')).toMatchObject({ size: 6 });
    });

    describe('a multi-MB object streamed in chunks', () => {
      // Not a multiple of 64 KiB chunks nor of any part size, so the last part is short.
      const size = 12 * MiB + 12_345;
      const key = 'large/video.bin';

      beforeAll(async () => {
        await storage.put(key, generated(size));
      });

      it('comes back byte for byte', async () => {
        const stat = await storage.stat(key);
        expect(stat).toMatchObject({ key, size });
        const back = await digest(await storage.get(key));
        expect(back).toEqual({ size, sha256: await digest(generated(size)).then((d) => d.sha256) });
      });

      it('gives back byte ranges: the first bytes, the middle, across a 5 MiB boundary, the last byte', async () => {
        for (const [start, end] of [
          [0, 99],
          [6 * MiB, 6 * MiB + 4095],
          [5 * MiB - 10, 5 * MiB + 9],
          [size - 1, size - 1],
          [0, size - 1],
        ] as const) {
          const bytes = await readAll(await storage.get(key, { start, end }));
          expect(bytes.length, `range ${start}-${end}`).toBe(end - start + 1);
          expect(bytes.equals(expectedBytes(start, end)), `range ${start}-${end}`).toBe(true);
        }
      });
    });

    it('gives back ranges of a small object', async () => {
      await storage.put('small/digits', Readable.from([Buffer.from('0123456789')]));
      const range = async (start: number, end: number) => (await readAll(await storage.get('small/digits', { start, end }))).toString();
      expect(await range(0, 2)).toBe('012');
      expect(await range(4, 6)).toBe('456');
      expect(await range(9, 9)).toBe('9');
    });

    it('says null when asked about a missing object', async () => {
      expect(await storage.stat('missing/nothing-here')).toBeNull();
    });

    it('rejects a read of a missing object with ObjectNotFoundError, with or without a range', async () => {
      await expect(storage.get('missing/nothing-here')).rejects.toBeInstanceOf(ObjectNotFoundError);
      await expect(storage.get('missing/nothing-here', { start: 0, end: 10 })).rejects.toMatchObject({
        name: 'ObjectNotFoundError',
        key: 'missing/nothing-here',
      });
    });

    it('deletes an object, and deleting a missing one is fine', async () => {
      await storage.put('gone/soon', Readable.from([Buffer.from('bye')]));
      await storage.delete('gone/soon');
      expect(await storage.stat('gone/soon')).toBeNull();
      await expect(storage.get('gone/soon')).rejects.toBeInstanceOf(ObjectNotFoundError);
      await expect(storage.delete('gone/soon')).resolves.toBeUndefined();
      await expect(storage.delete('gone/never-was')).resolves.toBeUndefined();
    });

    it('deletes by prefix only what is under it, and counts what went', async () => {
      const doomed = ['hls/f1/master.m3u8', 'hls/f1/720p/seg_000.m4s', 'hls/f1/720p/seg_001.m4s', 'hls/f1/init_0.mp4', 'hls/f1/x/y/z'];
      const kept = ['hls/f10/master.m3u8', 'hls/f1-old/master.m3u8', 'hls/f2/master.m3u8', 'hls/f1.m3u8', 'originals/f1'];
      for (const key of [...doomed, ...kept]) await storage.put(key, Readable.from([Buffer.from(key)]));

      expect(await storage.deletePrefix('hls/f1/')).toBe(doomed.length);

      for (const key of doomed) expect(await storage.stat(key), key).toBeNull();
      for (const key of kept) expect(await storage.stat(key), key).not.toBeNull();
      expect(await storage.deletePrefix('hls/f1/')).toBe(0);
      expect(await storage.deletePrefix('nothing/under/here/')).toBe(0);
    });

    it('lists by prefix in key order, with sizes', async () => {
      const keys = ['list/z', 'list/a0', 'list/a/b', 'list/B', 'list/a/a/deep', 'list/é'];
      for (const key of keys) await storage.put(key, Readable.from([Buffer.from(`body of ${key}`)]));
      await storage.put('listing-elsewhere', Readable.from([Buffer.from('not under list/')]));

      const listed = await collect(storage.list('list/'));
      expect(listed.map(({ key, size }) => ({ key, size }))).toEqual(
        ['list/B', 'list/a/a/deep', 'list/a/b', 'list/a0', 'list/z', 'list/é'].map((key) => ({
          key,
          size: Buffer.byteLength(`body of ${key}`),
        })),
      );
      for (const object of listed) expect(object.modified).toBeInstanceOf(Date);

      expect((await collect(storage.list('list/a'))).map((o) => o.key)).toEqual(['list/a/a/deep', 'list/a/b', 'list/a0']);
      expect(await collect(storage.list('list/nothing'))).toEqual([]);
    });

    it('lists in S3 order (UTF-8 bytes of the whole key) where a folder and a key share a start: "a-c" < "a.txt" < "a/b" < "a0"', async () => {
      for (const key of ['order/a0', 'order/a/b', 'order/a-c', 'order/a.txt']) await storage.put(key, Readable.from([Buffer.from(key)]));
      expect((await collect(storage.list('order/'))).map((o) => o.key)).toEqual(['order/a-c', 'order/a.txt', 'order/a/b', 'order/a0']);
    });

    it('lists and deletes past 1,000 keys (S3 pages listings and DeleteObjects at 1,000)', { timeout: 180_000 }, async () => {
      const keys = Array.from({ length: 1234 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
      for (let i = 0; i < keys.length; i += 50) {
        await Promise.all(keys.slice(i, i + 50).map((key) => storage.put(key, Readable.from([Buffer.from(key)]))));
      }
      expect((await collect(storage.list('many/'))).map((o) => o.key)).toEqual(keys);
      expect(await storage.deletePrefix('many/')).toBe(keys.length);
      expect(await collect(storage.list('many/'))).toEqual([]);
    });

    it('leaves no object behind when the body fails part way', async () => {
      // Past one 5 MiB part, so the s3 driver is inside a multipart upload when the body breaks.
      const body = generated(7 * MiB, new Error('the client went away'));
      await expect(storage.put('broken/upload.bin', body)).rejects.toThrow('the client went away');
      expect(await storage.stat('broken/upload.bin')).toBeNull();
      expect(await collect(storage.list('broken/'))).toEqual([]);
    });

    it.each(['../x', '/abs', 'a//b', 'a/../b', 'a/./b', '', 'a/', 'a\\b'])('refuses the key %j', async (key) => {
      const refused = expect.objectContaining({ message: expect.stringContaining('invalid object key') });
      await expect(storage.put(key, Readable.from([Buffer.from('x')]))).rejects.toEqual(refused);
      await expect(storage.get(key)).rejects.toEqual(refused);
      await expect(storage.stat(key)).rejects.toEqual(refused);
      await expect(storage.delete(key)).rejects.toEqual(refused);
    });

    it.each(['../', '/abs/', 'a//'])('refuses the prefix %j', async (prefix) => {
      await expect(storage.deletePrefix(prefix)).rejects.toThrow('invalid object key prefix');
      await expect(collect(storage.list(prefix))).rejects.toThrow('invalid object key prefix');
    });
  });
}

/** The byte at each offset of a generated body: position-dependent and never repeating by part. */
function byteAt(offset: number): number {
  return Math.imul(offset, 2654435761) >>> 24;
}

function expectedBytes(start: number, end: number): Buffer {
  const bytes = Buffer.alloc(end - start + 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = byteAt(start + i);
  return bytes;
}

/** A body of `size` bytes made 64 KiB at a time, never held whole; it fails instead of ending if `failure` is given. */
function generated(size: number, failure?: Error): Readable {
  const chunk = 64 * 1024;
  async function* chunks() {
    for (let offset = 0; offset < size; offset += chunk) {
      yield expectedBytes(offset, Math.min(offset + chunk, size) - 1);
    }
    if (failure) throw failure;
  }
  return Readable.from(chunks(), { objectMode: false });
}

async function digest(stream: Readable): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const data of stream) {
    hash.update(data as Buffer);
    size += (data as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const data of stream) chunks.push(data as Buffer);
  return Buffer.concat(chunks);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
