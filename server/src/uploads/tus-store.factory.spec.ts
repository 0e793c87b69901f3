import { execFileSync, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ERRORS, MemoryKvStore } from '@tus/utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIRECT_POOL_BLOCKS, directBlocks } from './upload-file-writers';
import { AtomicFileKvStore, WideFileStore } from './tus-store.factory';

const MiB = 1024 * 1024;

/** A request body as it arrives: 64 KiB at a time. */
const body = (bytes: Buffer) => Readable.from(Array.from({ length: Math.ceil(bytes.length / 65536) }, (_, i) => bytes.subarray(i * 65536, (i + 1) * 65536)));

describe('WideFileStore', () => {
  let root: string;
  let store: WideFileStore;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'nebula-wide-store-'));
    store = new WideFileStore({ directory: root, configstore: new MemoryKvStore() });
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('writes a PATCH’s bytes where the upload stands, and answers the new offset', async () => {
    const bytes = randomBytes(9 * MiB + 7);
    await writeFile(join(root, 'up'), '');
    const first = await store.write(body(bytes.subarray(0, 3 * MiB + 1)), 'up', 0);
    expect(first).toBe(3 * MiB + 1);
    // A resume: the next PATCH goes on at the offset, the bytes before it stay.
    expect(await store.write(body(bytes.subarray(first)), 'up', first)).toBe(bytes.length);
    expect((await readFile(join(root, 'up'))).equals(bytes)).toBe(true);
  });

  it('keeps what arrived before the body broke off, and says the write failed', async () => {
    await writeFile(join(root, 'cut'), '');
    const broken = new Readable({ read() {} });
    broken.push(randomBytes(MiB));
    setTimeout(() => broken.destroy(new Error('client went away')), 50);
    await expect(store.write(broken, 'cut', 0)).rejects.toBe(ERRORS.FILE_WRITE_ERROR);
    expect((await readFile(join(root, 'cut'))).length).toBe(MiB);
  });

  it('writes a body of many chunks byte-exact, several writes at once', async () => {
    const bytes = randomBytes(33 * MiB + 999);
    await writeFile(join(root, 'many'), '');
    expect(await store.write(body(bytes), 'many', 0)).toBe(bytes.length);
    expect((await readFile(join(root, 'many'))).equals(bytes)).toBe(true);
  });

  it.runIf(process.getuid?.() === 0)('leaves no hole when the disk fills mid-write: the file ends where the bytes it kept end, so the upload resumes from there', async () => {
    const small = join(root, 'small');
    execFileSync('mkdir', ['-p', small]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', small]);
    try {
      const onSmall = new WideFileStore({ directory: small, configstore: new MemoryKvStore() });
      await writeFile(join(small, 'up'), '');
      const bytes = randomBytes(32 * MiB);
      await expect(onSmall.write(body(bytes), 'up', 0)).rejects.toBe(ERRORS.FILE_WRITE_ERROR);
      const kept = await readFile(join(small, 'up'));
      expect(kept.length).toBeGreaterThan(0);
      expect(kept.length).toBeLessThanOrEqual(8 * MiB);
      expect(kept.equals(bytes.subarray(0, kept.length))).toBe(true);
    } finally {
      execFileSync('umount', ['-l', small]);
    }
  });

  it('refuses an id that leads out of its folder', async () => {
    await expect(store.write(body(Buffer.from('x')), '../outside', 0)).rejects.toBe(ERRORS.FILE_NOT_FOUND);
  });

  it('says the write failed when the upload’s file is gone', async () => {
    await expect(store.write(body(randomBytes(1000)), 'missing', 0)).rejects.toBe(ERRORS.FILE_WRITE_ERROR);
    const all = directBlocks.take(DIRECT_POOL_BLOCKS); // the failed write gave its blocks back
    expect(all).toHaveLength(DIRECT_POOL_BLOCKS);
    directBlocks.give(all!);
  });
});

describe('AtomicFileKvStore', () => {
  it('a gateway killed while it replaces a record leaves the old record whole, never a half-written one', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nebula-records-'));
    try {
      await writeFile(join(dir, 'a.json'), JSON.stringify({ blob: 'old' }));
      // A process that replaces the record with a 256 MiB one (long enough to be killed mid-write).
      const script = join(dir, 'writer.mts');
      await writeFile(
        script,
        `import { AtomicFileKvStore } from ${JSON.stringify(join(__dirname, 'tus-store.factory.ts'))};\n` +
          `await new AtomicFileKvStore(${JSON.stringify(dir)}).set('a', { blob: 'x'.repeat(256 * 1024 * 1024) });\n`,
      );
      const writer = fork(script, [], { execArgv: ['--import', 'tsx'], stdio: 'ignore' });
      const exited = new Promise((resolve) => writer.once('exit', resolve));
      // Killed as soon as the write is under way (a file beside the record, or the record growing).
      await expect
        .poll(async () => (await readdir(dir)).length > 2 || (await stat(join(dir, 'a.json'))).size > 100, { interval: 1, timeout: 30_000 })
        .toBe(true);
      writer.kill('SIGKILL');
      await exited;

      expect(JSON.parse(await readFile(join(dir, 'a.json'), 'utf8'))).toEqual({ blob: 'old' });

      // The copy it was writing stays beside the record (nothing runs on SIGKILL). The janitor
      // leaves a young one (a write may be under way) and removes it once old, and only it.
      const store = new AtomicFileKvStore(dir);
      const abandoned = (await readdir(dir)).filter((name) => /^a\.json\.\d+$/.test(name));
      expect(abandoned).toHaveLength(1);
      expect(await store.removeAbandonedWrites('', new Date(Date.now() - 60 * 60 * 1000))).toBe(0);
      expect(await store.removeAbandonedWrites('', new Date(Date.now() + 1000))).toBe(1);
      expect((await readdir(dir)).sort()).toEqual(['a.json', 'writer.mts']);
      expect(await store.removeAbandonedWrites('../..', new Date(Date.now() + 1000))).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
