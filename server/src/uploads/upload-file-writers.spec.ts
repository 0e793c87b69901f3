import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AlignedBlocks, BLOCKS_PER_UPLOAD, DIRECT_BLOCK, DirectFileWriter, openDirect, pageCacheFileWriter, PositionalWriter, UPLOAD_SYNC_EVERY, UploadBlocks, uploadFileWriter } from './upload-file-writers';

const MiB = 1024 * 1024;

/** A request body as it arrives, in chunks of an odd size so no chunk lines up with a block. */
const body = (bytes: Buffer, chunk = 65_521) =>
  Readable.from(Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk)));

/** Every block of `pool`, as one upload's. */
const blocksOf = (pool: AlignedBlocks) => {
  const blocks = pool.take(2)!;
  return new UploadBlocks(blocks, (given) => pool.give(given));
};

/** Bytes of the file the kernel holds in its page cache (util-linux's fincore). */
const cachedBytes = (path: string) => Number(execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', path]).toString().trim());

describe('DirectFileWriter', () => {
  let root: string;
  let pool: AlignedBlocks;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'nebula-direct-writer-'));
    pool = new AlignedBlocks(2);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const writer = (path: string, start: number, handles?: ConstructorParameters<typeof DirectFileWriter>[3]) => new DirectFileWriter(path, start, blocksOf(pool), handles);

  it('writes a resumed PATCH byte-exact from an unaligned offset to an unaligned end, without filling the page cache', async () => {
    const path = join(root, 'up');
    const bytes = randomBytes(25 * MiB + 777);
    const before = MiB + 123; // what an earlier PATCH left
    await writeFile(path, bytes.subarray(0, before));
    const file = writer(path, before);
    await pipeline(body(bytes.subarray(before)), file);
    expect(file.bytesWritten).toBe(bytes.length - before);
    // Through the page cache, all 24 MiB just written would be resident: here only the earlier
    // PATCH's pages and the pages of the unaligned head and tail.
    expect(cachedBytes(path)).toBeLessThanOrEqual(before + 3 * 4096);
    expect((await readFile(path)).equals(bytes)).toBe(true);
    expect(pool.take(2)).toHaveLength(2); // its blocks went back
  });

  /** `bytes` as a request's body hands them on (StagedBody): copied into the upload's blocks from `offset` on, each block lent whole. */
  async function* lentBlocks(blocks: UploadBlocks, bytes: Buffer, offset: number) {
    let at = 0;
    while (at < bytes.length) {
      let block = blocks.take(offset + at);
      while (!block) {
        await blocks.freed();
        block = blocks.take(offset + at);
      }
      const n = bytes.copy(block.memory, block.end, at);
      block.end += n;
      at += n;
      yield blocks.lend(block);
    }
  }

  it('writes the blocks a request’s body filled from where they are, without copying them, around the page cache', async () => {
    const path = join(root, 'lent');
    const bytes = randomBytes(9 * MiB + 777);
    const before = MiB + 123;
    await writeFile(path, bytes.subarray(0, before));
    const blocks = blocksOf(pool);
    const file = new DirectFileWriter(path, before, blocks.share()!);
    const copy = vi.spyOn(Buffer.prototype, 'copy');
    try {
      await pipeline(Readable.from(lentBlocks(blocks, bytes.subarray(before), before)), file);
      // The only copies were the body's, one per block.
      expect(copy).toHaveBeenCalledTimes(Math.ceil((bytes.length - (before - (before % 4096))) / DIRECT_BLOCK));
    } finally {
      copy.mockRestore();
    }
    expect(file.bytesWritten).toBe(bytes.length - before);
    expect(cachedBytes(path)).toBeLessThanOrEqual(before + 3 * 4096);
    expect((await readFile(path)).equals(bytes)).toBe(true);
    blocks.release();
    expect(pool.take(2)).toHaveLength(2); // both users done: the blocks went back
  });

  it('writes a lent block placed for another offset where the stream is, through the page cache', async () => {
    const path = join(root, 'elsewhere');
    const bytes = randomBytes(6 * MiB + 5);
    await writeFile(path, '');
    const blocks = blocksOf(pool);
    // Laid out as from 4096 on, written from 0: not expected of tus, which writes where the request said.
    await pipeline(Readable.from(lentBlocks(blocks, bytes, 4096)), new DirectFileWriter(path, 0, blocks.share()!));
    expect((await readFile(path)).equals(bytes)).toBe(true);
    blocks.release();
    expect(pool.take(2)).toHaveLength(2);
  });

  it('writes a body shorter than one block, and an empty one', async () => {
    const path = join(root, 'small');
    await writeFile(path, '');
    const bytes = randomBytes(10_000);
    await pipeline(body(bytes), writer(path, 0));
    await pipeline(body(Buffer.alloc(0)), writer(path, bytes.length));
    expect((await readFile(path)).equals(bytes)).toBe(true);
  });

  it('keeps every byte that arrived before the body broke off mid-block, so tus resumes after them', async () => {
    const path = join(root, 'cut');
    await writeFile(path, '');
    const bytes = randomBytes(5 * MiB + 3);
    const broken = new Readable({ read() {} });
    broken.push(bytes);
    setTimeout(() => broken.destroy(new Error('client went away')), 50);
    const file = writer(path, 0);
    await expect(pipeline(broken, file)).rejects.toThrow('client went away');
    if (!file.closed) await new Promise((closed) => file.once('close', closed));
    expect(file.bytesWritten).toBe(bytes.length);
    expect((await readFile(path)).equals(bytes)).toBe(true);
    expect(pool.take(2)).toHaveLength(2);
  });

  it('goes on through the page cache when the kernel refuses a direct write (EINVAL), losing nothing', async () => {
    const path = join(root, 'refused');
    await writeFile(path, '');
    const bytes = randomBytes(13 * MiB + 5);
    let directWrites = 0;
    // Test double for a file system that opens files with O_DIRECT but refuses the writes (one whose
    // block is larger than 4 KiB, say): none here does.
    const refusing = async (file: string) => {
      const handle = await openDirect(file);
      return Object.assign(handle, {
        write: async () => {
          directWrites++;
          throw Object.assign(new Error('EINVAL: invalid argument, write'), { code: 'EINVAL' });
        },
      }) as FileHandle;
    };
    await pipeline(body(bytes), writer(path, 0, { buffered: (file) => open(file, 'r+'), direct: refusing }));
    expect((await readFile(path)).equals(bytes)).toBe(true);
    expect(directWrites).toBe(1);
  });

  it('writes through the page cache on a file system without O_DIRECT', async () => {
    const path = join(root, 'no-direct');
    await writeFile(path, '');
    const bytes = randomBytes(9 * MiB + 1);
    // Test double for a file system that refuses to open files with O_DIRECT (tmpfs before Linux 6.6).
    const noDirect = () => Promise.reject(Object.assign(new Error('EINVAL: invalid argument, open'), { code: 'EINVAL' }));
    await pipeline(body(bytes), writer(path, 0, { buffered: (file) => open(file, 'r+'), direct: noDirect }));
    expect((await readFile(path)).equals(bytes)).toBe(true);
  });

  it('cuts the file back to a write that failed while a later one succeeded: no hole of zeros for tus to resume after', async () => {
    const path = join(root, 'failing');
    await writeFile(path, '');
    const bytes = randomBytes(3 * DIRECT_BLOCK + MiB);
    // Test double for a disk error that cannot be made on demand here: the real file, except that
    // the direct write of the second block fails, slowly, while the third goes through.
    const failingSecondBlock = async (file: string) => {
      const handle = await openDirect(file);
      const write = handle.write.bind(handle) as (buffer: Buffer, offset: number, length: number, position: number) => Promise<{ bytesWritten: number }>;
      return Object.assign(handle, {
        write: async (buffer: Buffer, offset: number, length: number, position: number) => {
          if (position === DIRECT_BLOCK) {
            await new Promise((done) => setTimeout(done, 200));
            throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
          }
          return write(buffer, offset, length, position);
        },
      }) as FileHandle;
    };
    const file = writer(path, 0, { buffered: (f) => open(f, 'r+'), direct: failingSecondBlock });
    await expect(pipeline(body(bytes), file)).rejects.toThrow('EIO');
    if (!file.closed) await new Promise((closed) => file.once('close', closed));
    expect(file.bytesWritten).toBe(DIRECT_BLOCK);
    expect((await stat(path)).size).toBe(DIRECT_BLOCK);
    expect((await readFile(path)).equals(bytes.subarray(0, DIRECT_BLOCK))).toBe(true);
  });
});

/**
 * The real file's handle, except that datasync() also notes the file's size when it is called, and
 * (a test double for a disk error that cannot be made on demand here) fails when `fail` says so.
 */
const syncSpy = (sizes: number[], fail = () => false) => async (file: string) => {
  const handle = await open(file, 'r+');
  const datasync = handle.datasync.bind(handle);
  return Object.assign(handle, {
    datasync: async () => {
      sizes.push((await handle.stat()).size);
      if (fail()) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      return datasync();
    },
  });
};

describe('durable uploads', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'nebula-durable-writer-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('has the disk write an upload out as it arrives, and the last bytes before the PATCH is answered', async () => {
    const pool = new AlignedBlocks(2);
    const path = join(root, 'up');
    await writeFile(path, '');
    const bytes = randomBytes(4 * UPLOAD_SYNC_EVERY + 12_345);
    const sizes: number[] = [];
    const file = new DirectFileWriter(path, 0, blocksOf(pool), { buffered: syncSpy(sizes), direct: openDirect });
    await pipeline(body(bytes), file);
    // Flushed along the way (not all at the end), and once more when everything was written.
    expect(sizes.filter((size) => size < bytes.length).length).toBeGreaterThanOrEqual(2);
    expect(sizes.at(-1)).toBe(bytes.length);
    expect((await readFile(path)).equals(bytes)).toBe(true);
  });

  it('fails a PATCH whose bytes the disk could not save, and cuts the file back to where it began', async () => {
    const pool = new AlignedBlocks(2);
    const path = join(root, 'up');
    const before = randomBytes(MiB + 7); // an earlier PATCH's, already on disk
    await writeFile(path, before);
    const sizes: number[] = [];
    const file = new DirectFileWriter(path, before.length, blocksOf(pool), { buffered: syncSpy(sizes, () => sizes.length === 2), direct: openDirect });
    await expect(pipeline(body(randomBytes(3 * UPLOAD_SYNC_EVERY)), file)).rejects.toThrow('EIO');
    if (!file.closed) await new Promise((closed) => file.once('close', closed));
    expect(file.bytesWritten).toBe(0);
    expect((await readFile(path)).equals(before)).toBe(true); // tus resumes from here
    expect(pool.take(2)).toHaveLength(2);
  });

  it('flushes through the page cache too, while other uploads hold the aligned blocks', async () => {
    const path = join(root, 'crowded');
    await writeFile(path, '');
    const bytes = randomBytes(2 * UPLOAD_SYNC_EVERY + 5);
    const sizes: number[] = [];
    await pipeline(body(bytes), new PositionalWriter(path, 0, 2, 4 * MiB, syncSpy(sizes), UPLOAD_SYNC_EVERY));
    expect(sizes.length).toBeGreaterThanOrEqual(2);
    expect(sizes.at(-1)).toBe(bytes.length);
    expect((await readFile(path)).equals(bytes)).toBe(true);
  });

  it('leaves an s3 upload\'s part files to the page cache: they are read back at once and then removed', async () => {
    const path = join(root, 'part');
    await writeFile(path, '');
    const any = await open(path, 'r');
    await any.close();
    const datasync = vi.spyOn(Object.getPrototypeOf(any) as FileHandle, 'datasync');
    const writer = pageCacheFileWriter(path, 0);
    try {
      await pipeline(body(randomBytes(2 * UPLOAD_SYNC_EVERY)), writer);
      expect(datasync).not.toHaveBeenCalled();
    } finally {
      datasync.mockRestore();
    }
  });
});

describe('uploadFileWriter', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'nebula-upload-writer-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('writes around the page cache while the pool has blocks, and gives them back', async () => {
    const pool = new AlignedBlocks(BLOCKS_PER_UPLOAD);
    const path = join(root, 'up');
    await writeFile(path, '');
    const bytes = randomBytes(9 * MiB + 5);
    await pipeline(body(bytes), uploadFileWriter(path, 0, pool));
    expect(cachedBytes(path)).toBeLessThanOrEqual(4096);
    expect((await readFile(path)).equals(bytes)).toBe(true);
    expect(pool.take(BLOCKS_PER_UPLOAD)).toHaveLength(BLOCKS_PER_UPLOAD);
  });

  it('still writes, through the page cache, while other uploads hold every block', async () => {
    const pool = new AlignedBlocks(BLOCKS_PER_UPLOAD);
    const held = pool.take(BLOCKS_PER_UPLOAD)!;
    const path = join(root, 'crowded');
    await writeFile(path, '');
    const bytes = randomBytes(9 * MiB + 5);
    await pipeline(body(bytes), uploadFileWriter(path, 0, pool));
    expect(cachedBytes(path)).toBeGreaterThan(8 * MiB);
    expect((await readFile(path)).equals(bytes)).toBe(true);
    pool.give(held);
  });
});

describe('AlignedBlocks', () => {
  it('hands out separate blocks, none when fewer are free than asked, and takes them back', () => {
    const pool = new AlignedBlocks(3, MiB);
    const two = pool.take(2)!;
    expect(two).toHaveLength(2);
    expect(pool.take(2)).toBeUndefined();
    two[0]!.fill(1);
    two[1]!.fill(2);
    expect(two[0]!.every((b) => b === 1)).toBe(true);
    pool.give(two);
    expect(pool.take(3)).toHaveLength(3);
  });
});

describe('PositionalWriter', () => {
  it('cuts the file back to a write that failed while a later one succeeded: no hole of zeros for tus to resume after', async () => {
    const root = await mkdtemp(join(tmpdir(), 'nebula-positional-'));
    try {
      const path = join(root, 'up');
      await writeFile(path, '');
      const bytes = randomBytes(12 * MiB);
      // Test double for a disk error that cannot be made on demand here: the real file, except
      // that the write starting at 4 MiB fails, slowly, while the writes after it go through.
      const failingAt4MiB = async (file: string) => {
        const handle = await open(file, 'r+');
        const writev = handle.writev.bind(handle);
        return Object.assign(handle, {
          writev: async (buffers: Buffer[], position: number) => {
            if (position === 4 * MiB) {
              await new Promise((done) => setTimeout(done, 200));
              throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
            }
            return writev(buffers, position);
          },
        });
      };
      const writer = new PositionalWriter(path, 0, 2, 4 * MiB, failingAt4MiB);
      const blocks = Readable.from([bytes.subarray(0, 4 * MiB), bytes.subarray(4 * MiB, 8 * MiB), bytes.subarray(8 * MiB)]);
      await expect(pipeline(blocks, writer)).rejects.toThrow('EIO');
      expect(writer.bytesWritten).toBe(4 * MiB);
      expect((await stat(path)).size).toBe(4 * MiB);
      expect((await readFile(path)).equals(bytes.subarray(0, 4 * MiB))).toBe(true);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
