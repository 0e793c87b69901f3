import { mkdtemp, readdir, readlink, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { FsObjectStorage } from './fs-object-storage';
import { ObjectNotFoundError } from './object-storage';
import { OpenFiles, openRegularFile } from './open-files';

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

async function folder(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'nebula-open-files-'));
  roots.push(root);
  return root;
}

/** What this process holds open under a folder, as the kernel sees it: the paths, " (deleted)" when unlinked. */
async function openUnder(root: string): Promise<string[]> {
  const targets = await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return targets.filter((target) => target.startsWith(root)).sort();
}

function collector(): Writable & { text: () => string } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      setImmediate(done);
    },
  });
  return Object.assign(sink, { text: () => Buffer.concat(chunks).toString() });
}

async function read(storage: FsObjectStorage, key: string): Promise<string> {
  const to = collector();
  await storage.sendTo(key, undefined, to);
  return to.text();
}

describe('read handles kept open between requests', () => {
  it('serves many reads of a file from one open handle, and a delete through the store closes it, so the disk space comes back', async () => {
    const root = await folder();
    const storage = new FsObjectStorage(root);
    await storage.put('originals/a', Readable.from([Buffer.from('first bytes')]));
    for (let i = 0; i < 5; i++) expect(await read(storage, 'originals/a')).toBe('first bytes');
    expect(await openUnder(root)).toEqual([join(root, 'originals', 'a')]);

    await storage.delete('originals/a');
    // close() is asynchronous; the next turn of the thread pool has done it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await openUnder(root)).toEqual([]);
    await expect(read(storage, 'originals/a')).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('gives the new bytes after a put replaces the object, and a failed open is not remembered', async () => {
    const root = await folder();
    const storage = new FsObjectStorage(root);
    await expect(read(storage, 'originals/b')).rejects.toBeInstanceOf(ObjectNotFoundError);
    await storage.put('originals/b', Readable.from([Buffer.from('old')]));
    expect(await read(storage, 'originals/b')).toBe('old');
    await storage.put('originals/b', Readable.from([Buffer.from('new and longer')]));
    expect(await read(storage, 'originals/b')).toBe('new and longer');
  });

  it('lets a reader finish with its handle when the file is deleted under it, then closes it', async () => {
    const root = await folder();
    const storage = new FsObjectStorage(root);
    const bytes = Buffer.alloc(3 * 1024 * 1024, 7);
    await storage.put('originals/c', Readable.from([bytes]));
    // A destination that takes its time: the delete lands while the first MiB is still on its way.
    const chunks: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, done) {
        chunks.push(Buffer.from(chunk));
        setTimeout(done, 20);
      },
    });
    const sending = storage.sendTo('originals/c', undefined, slow);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await storage.delete('originals/c');
    await sending;
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await openUnder(root)).toEqual([]);
  });

  it('keeps at most `limit` unused handles, closes idle ones, and reopens one older than maxAgeMs (a file replaced by another process)', async () => {
    const root = await folder();
    const names = ['1', '2', '3', '4', '5'];
    for (const name of names) await writeFile(join(root, name), `file ${name}`);
    const files = new OpenFiles((key) => openRegularFile(join(root, key), () => new Error(`no ${key}`)), { limit: 2, idleMs: 200, maxAgeMs: 400 });
    const readAll = async (key: string) => {
      const file = await files.borrow(key);
      try {
        return (await file.handle.readFile()).toString();
      } finally {
        file.release();
      }
    };
    for (const name of names) expect(await readAll(name)).toBe(`file ${name}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The two used last stay open.
    expect(await openUnder(root)).toEqual([join(root, '4'), join(root, '5')]);

    // Replaced behind the store's back (as another process would): the old bytes until the handle ages out.
    await unlink(join(root, '5'));
    await writeFile(join(root, '5'), 'file 5, second version');
    const stale = await files.borrow('5');
    expect(stale.size).toBe('file 5'.length);
    stale.release();

    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await openUnder(root)).toEqual([]);
    expect(await readAll('5')).toBe('file 5, second version');
    files.closeAll();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await openUnder(root)).toEqual([]);
  });
});
