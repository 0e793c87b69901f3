import { AsyncLocalStorage } from 'node:async_hooks';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Writable, type WritableOptions } from 'node:stream';

/**
 * Alignment O_DIRECT asks of a write's file offset, length and memory address: the disk's logical
 * block (512 bytes or 4 KiB on today's disks; 4 KiB covers both).
 */
export const DIRECT_ALIGN = 4096;
/** The size of one O_DIRECT write, and of a staging block: `dd oflag=direct` reaches the disk's speed from 2–4 MiB on. */
export const DIRECT_BLOCK = 4 * 1024 * 1024;
/** WebAssembly.Memory, as far as it is used here (the server's TypeScript libraries have no WebAssembly types). */
declare const WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number }) => { buffer: ArrayBuffer } };

/**
 * Staging blocks one upload writes through: one filling while the others are on their way to the
 * disk, so a write held up by a flush (see UPLOAD_SYNC_EVERY) does not stop the upload. 2 GiB
 * `nebula upload`s, the count alternating upload by upload (ten each): median 4.2 s with 4 blocks,
 * 4.6 s with 2; 6 blocks (five) were no faster than 4.
 */
export const BLOCKS_PER_UPLOAD = 4;
/** PositionalWriter's bytes of an upload waiting for the disk before the request is paused: what the writes in flight carry. */
const FILE_WRITE_BUFFER = 4 * 1024 * 1024;
/** PositionalWriter's writev() calls on one upload's file at once. */
const FILE_WRITES_IN_FLIGHT = 2;
/**
 * Bytes of an upload written between two fdatasync() calls in the background (see GaplessFileWriter),
 * so the disk writes an upload out while it arrives, and a finished upload is on disk when it is
 * committed. Without them, the disk's cache took the bytes written with O_DIRECT at once and wrote
 * them out when Postgres's commit of the finished upload flushed it: 1.1–1.3 s after 2 GiB here (a
 * virtual disk with a write-back cache), the client waiting. A flush every 64 MiB took 45 ms, long
 * enough for two staging blocks (as there were then) to wait on it; every 8 MiB, short enough. 2 GiB
 * `nebula upload`s to the embedded stack, the setting alternating upload by upload: median 4.4 s
 * every 8 MiB (ten), 4.5 s every 4 MiB (five), 5.3 s with no flush (ten).
 */
export const UPLOAD_SYNC_EVERY = 8 * 1024 * 1024;

/**
 * Memory for O_DIRECT writes, aligned as the kernel requires. Node has no aligned allocation, so the
 * blocks are slices of one WebAssembly.Memory, whose backing store V8 maps page-aligned; a write that
 * still comes back EINVAL makes its writer go on through the page cache (see DirectFileWriter).
 * The pool is made on first use and its size is fixed: uploads beyond what it holds write through the
 * page cache as before, and the gateway's memory cannot grow with the number of uploads.
 */
export class AlignedBlocks {
  private free: Buffer[] | undefined;
  private unavailable = false;

  constructor(
    private readonly count: number,
    private readonly blockBytes = DIRECT_BLOCK,
  ) {}

  /** `n` blocks, or none when the pool has fewer free (or cannot be made on this runtime). */
  take(n: number): Buffer[] | undefined {
    if (!this.free && !this.unavailable) this.free = this.make();
    if (!this.free || this.free.length < n) return undefined;
    return this.free.splice(this.free.length - n, n);
  }

  give(blocks: Buffer[]): void {
    this.free?.push(...blocks);
  }

  private make(): Buffer[] | undefined {
    try {
      const pages = Math.ceil((this.count * this.blockBytes) / 65536);
      const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
      return Array.from({ length: this.count }, (_, i) => Buffer.from(memory.buffer, i * this.blockBytes, this.blockBytes));
    } catch {
      this.unavailable = true; // e.g. node --jitless, which has no WebAssembly
      return undefined;
    }
  }
}

/** Blocks in the process's pool: 4 uploads written around the page cache at once (the CLI sends 3 by default), 64 MiB at most. */
export const DIRECT_POOL_BLOCKS = 4 * BLOCKS_PER_UPLOAD;
export const directBlocks = new AlignedBlocks(DIRECT_POOL_BLOCKS);

/** A staging block: its memory, and where in the file the bytes it holds go. */
export interface Staged {
  memory: Buffer;
  /** File offset of memory[0]: a multiple of DIRECT_ALIGN. */
  base: number;
  /** memory[from, end) holds bytes of the stream; from > 0 only in the first block of an unaligned start. */
  from: number;
  end: number;
}

const alignDown = (n: number) => n - (n % DIRECT_ALIGN);
const alignUp = (n: number) => alignDown(n + DIRECT_ALIGN - 1);

/**
 * One upload's staging blocks (BLOCKS_PER_UPLOAD of the pool), which its bytes go through on their
 * way to the disk. Its file writer (DirectFileWriter) copies the chunks it is given into them; or,
 * before that, its request's body (StagedBody) copies the socket's chunks into them, laid out as the
 * file holds them, and hands each block on whole (lend), and the writer writes it from where it is
 * (claim), without a second copy. The memory goes back to the pool once every user (the request
 * being served, the writer) has released it.
 */
export class UploadBlocks {
  private readonly idle: Staged[];
  private readonly lent = new WeakMap<Buffer, Staged>();
  private wakers: Array<() => void> = [];
  private users = 1;

  constructor(
    private readonly memory: Buffer[],
    private readonly giveBack: (blocks: Buffer[]) => void,
  ) {
    this.idle = memory.map((block) => ({ memory: block, base: 0, from: 0, end: 0 }));
  }

  /** One upload's blocks from `pool`, or undefined while other uploads hold them all. */
  static of(pool: AlignedBlocks = directBlocks): UploadBlocks | undefined {
    const blocks = pool.take(BLOCKS_PER_UPLOAD);
    return blocks && new UploadBlocks(blocks, (given) => pool.give(given));
  }

  /** A free block placed at file offset `position`, or undefined while every one is in use. */
  take(position: number): Staged | undefined {
    const block = this.idle.pop();
    if (block) {
      block.base = alignDown(position);
      block.from = block.end = position - block.base;
    }
    return block;
  }

  /** Resolves once a block is freed (the caller then tries take() again). */
  freed(): Promise<void> {
    return new Promise((wake) => this.wakers.push(wake));
  }

  free(block: Staged): void {
    this.idle.push(block);
    const wakers = this.wakers;
    this.wakers = [];
    for (const wake of wakers) wake();
  }

  /** The bytes a block holds, to hand on down the stream: claim() of that very Buffer gives the block. */
  lend(block: Staged): Buffer {
    const bytes = block.memory.subarray(block.from, block.end);
    this.lent.set(bytes, block);
    return bytes;
  }

  /** The block `chunk` was lent from, no longer lent; undefined for any other chunk. */
  claim(chunk: Buffer): Staged | undefined {
    const block = this.lent.get(chunk);
    if (block) this.lent.delete(chunk);
    return block;
  }

  /** The blocks for one more user, who calls release() when done; undefined once they have gone back. */
  share(): UploadBlocks | undefined {
    if (this.users === 0) return undefined;
    this.users++;
    return this;
  }

  /**
   * A user is done: after the last, the blocks go back to the pool. The writer releases once every
   * write it started has settled; blocks still lent then were never claimed, and never will be.
   */
  release(): void {
    if (this.users > 0 && --this.users === 0) this.giveBack(this.memory);
  }
}

/** The blocks of the request being served, which its body fills (UploadsService): its upload's writer writes from them. */
export const requestBlocks = new AsyncLocalStorage<UploadBlocks>();

/**
 * The writer for one PATCH of an upload, from `offset` on: around the page cache (DirectFileWriter)
 * with the request's blocks, or the pool's while it has some to spare; through the page cache
 * (PositionalWriter) while other uploads hold them all.
 */
export function uploadFileWriter(path: string, offset: number, pool = directBlocks): DirectFileWriter | PositionalWriter {
  const blocks = requestBlocks.getStore()?.share() ?? UploadBlocks.of(pool);
  return blocks ? new DirectFileWriter(path, offset, blocks) : new PositionalWriter(path, offset, FILE_WRITES_IN_FLIGHT, FILE_WRITE_BUFFER, undefined, UPLOAD_SYNC_EVERY);
}

/** A writer through the page cache, for a file that is read back at once (an s3 upload's part files). */
export function pageCacheFileWriter(path: string, offset: number): PositionalWriter {
  return new PositionalWriter(path, offset, FILE_WRITES_IN_FLIGHT, FILE_WRITE_BUFFER);
}

/** Opens an upload's file for O_DIRECT writes; rejects where the file system has no O_DIRECT. */
export const openDirect = (path: string): Promise<FileHandle> => open(path, constants.O_RDWR | constants.O_DIRECT);

/**
 * A stream written into an existing file from `start` on, several writes at once, that leaves no
 * hole when a write fails: once the writes in flight have settled, the file is cut back to where the
 * first failed one started, so its size stays the upload's offset (tus resumes from it).
 *
 * With `syncEvery`, it also makes its bytes durable as they arrive: an fdatasync() in the background
 * each time that many more bytes have been written (one at a time), and a last one when the stream
 * finishes, before it reports success. A failed one fails the stream at `start` (what fdatasync
 * failed to save is unknown), so tus resumes from there.
 */
abstract class GaplessFileWriter extends Writable {
  /** The file offset of the stream's next byte. */
  protected position: number;
  protected failure: Error | undefined;
  private failedAt: number | undefined;
  protected readonly inFlight = new Set<Promise<void>>();
  /** Bytes written since the last fdatasync() began. */
  private unsynced = 0;
  private syncing: Promise<void> | undefined;

  /** Bytes written without a gap from `start`: valid once the writer has finished or been destroyed. */
  get bytesWritten(): number {
    return (this.failedAt ?? this.position) - this.start;
  }

  constructor(
    private readonly start: number,
    private readonly syncEvery: number | undefined,
    options?: WritableOptions,
  ) {
    super(options);
    this.position = start;
  }

  /** The handle fdatasync() goes through (either of the file's handles: it is the file's data that is synced). */
  protected abstract syncHandle(): FileHandle | undefined;

  /** Remembers a write of the bytes from `at` on that failed: the first failure, at the lowest offset. */
  protected failed(at: number, error: Error): void {
    if (this.failedAt === undefined || at < this.failedAt) this.failedAt = at;
    this.failure ??= error;
  }

  /** Counts `write` of `bytes` (which must not reject: failures go to failed()) in flight until it settles. */
  protected track(write: Promise<void>, bytes: number): void {
    const tracked = write.finally(() => {
      this.inFlight.delete(tracked);
      this.unsynced += bytes;
      if (this.syncEvery !== undefined && this.unsynced >= this.syncEvery && !this.syncing && !this.failure) {
        this.syncing = this.sync().finally(() => (this.syncing = undefined));
      }
    });
    this.inFlight.add(tracked);
  }

  /** fdatasync() of what has been written so far; never rejects (a failure goes to failed()). */
  private async sync(): Promise<void> {
    this.unsynced = 0;
    try {
      await this.syncHandle()?.datasync();
    } catch (error) {
      this.failed(this.start, error as Error);
    }
  }

  /**
   * Waits for every write in flight (and fdatasync); when `finished`, syncs what is left; after a
   * failure, cuts the file back to the gap through `handle`.
   */
  protected async settle(handle: FileHandle | undefined, finished = false): Promise<void> {
    while (this.inFlight.size > 0 || this.syncing) await Promise.all([...this.inFlight, this.syncing]);
    if (finished && this.syncEvery !== undefined && !this.failure) await this.sync();
    if (this.failedAt !== undefined && handle) await handle.truncate(this.failedAt).catch(() => undefined);
  }
}

/**
 * Writes a stream into an existing file from `start` on, with up to `parallel` positional writev()
 * calls at once, through the page cache: one write at a time kept the copy into the page cache on
 * one core. The chunks wait uncopied in the stream's buffer. Used where DirectFileWriter cannot be
 * (its pool of aligned blocks is taken by other uploads).
 */
export class PositionalWriter extends GaplessFileWriter {
  private handle?: FileHandle;

  constructor(
    private readonly path: string,
    start: number,
    private readonly parallel: number,
    highWaterMark: number,
    private readonly openFile: (path: string) => Promise<FileHandle> = (path) => open(path, 'r+'),
    syncEvery?: number,
  ) {
    super(start, syncEvery, { highWaterMark });
  }

  protected override syncHandle(): FileHandle | undefined {
    return this.handle;
  }

  override _construct(done: (error?: Error | null) => void): void {
    this.openFile(this.path).then(
      (handle) => {
        this.handle = handle;
        done();
      },
      (error: Error) => done(error),
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.issue([chunk], done);
  }

  override _writev(chunks: { chunk: Buffer }[], done: (error?: Error | null) => void): void {
    this.issue(
      chunks.map((c) => c.chunk),
      done,
    );
  }

  override _final(done: (error?: Error | null) => void): void {
    this.settle(this.handle, true).then(() => done(this.failure), done);
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.settle(this.handle)
      .then(() => this.handle?.close())
      .then(
        () => done(error),
        (closeError: Error) => done(error ?? closeError),
      );
  }

  private issue(buffers: Buffer[], done: (error?: Error | null) => void): void {
    if (this.failure) return done(this.failure);
    const at = this.position;
    this.position += buffers.reduce((sum, b) => sum + b.length, 0);
    const bytes = this.position - at;
    this.track(
      writevAll(this.handle!, buffers, at).catch((error: Error) => this.failed(at, error)),
      bytes,
    );
    // Room for another write: take the next chunks now. Otherwise, once one of these is done.
    if (this.inFlight.size < this.parallel) done();
    else void Promise.race(this.inFlight).then(() => done(this.failure));
  }
}

/** writev() until every byte is written (a regular file may take fewer bytes than asked, as when the disk fills). */
async function writevAll(handle: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let rest = buffers;
  let at = position;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest, at);
    at += bytesWritten;
    let skip = bytesWritten;
    const left: Buffer[] = [];
    for (const buffer of rest) {
      if (skip >= buffer.length) skip -= buffer.length;
      else {
        left.push(skip > 0 ? buffer.subarray(skip) : buffer);
        skip = 0;
      }
    }
    if (bytesWritten === 0 && left.length > 0) throw Object.assign(new Error(`no byte of a write at ${at} went to disk`), { code: 'EIO' });
    rest = left;
  }
}

/**
 * Writes a stream into an existing file from `start` on with O_DIRECT, around the page cache: the
 * bytes are copied once into aligned staging blocks (a memcpy in memory that stays hot) and written
 * from there in 4 MiB writes, up to four at a time; a chunk that is one of those blocks already,
 * filled by the request's body (UploadBlocks.lend), is written as it is: the one copy was the body's.
 * Through the page cache, every byte of an upload lands in a page the kernel has to find first, and
 * on a virtual machine whose free memory goes back to the host (virtio-balloon free page reporting)
 * that first touch costs a trip to the host: writes of 2 GiB took 11–30 s there against 1.2 s with
 * O_DIRECT (`dd`, ops/bench/upload.ts's machine). An upload is written once and read later by the
 * worker, so nothing is lost by not caching it.
 *
 * What O_DIRECT cannot take (an unaligned start after a resumed PATCH, the last partial block) goes
 * through `buffered`, a plain handle on the same file, for separate pages. A direct write the
 * kernel refuses with EINVAL (a file system with a larger block, or memory it finds misaligned)
 * is written through `buffered` instead, and so is the rest of the stream.
 *
 * A stream that breaks off (the client went away) still has its staged bytes written, so tus resumes
 * after everything that arrived.
 */
export class DirectFileWriter extends GaplessFileWriter {
  private buffered?: FileHandle;
  private direct?: FileHandle;
  private useDirect = true;
  private current?: Staged;

  constructor(
    private readonly path: string,
    start: number,
    private readonly blocks: UploadBlocks,
    private readonly handles: { buffered: (path: string) => Promise<FileHandle>; direct: (path: string) => Promise<FileHandle> } = {
      buffered: (path) => open(path, 'r+'),
      direct: openDirect,
    },
    syncEvery: number | undefined = UPLOAD_SYNC_EVERY,
  ) {
    super(start, syncEvery);
  }

  protected override syncHandle(): FileHandle | undefined {
    return this.buffered;
  }

  override _construct(done: (error?: Error | null) => void): void {
    this.handles.buffered(this.path).then(
      async (handle) => {
        this.buffered = handle;
        this.direct = await this.handles.direct(this.path).catch(() => undefined);
        this.useDirect = this.direct !== undefined;
        done();
      },
      (error: Error) => done(error),
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    const lent = this.blocks.claim(chunk);
    if (!lent) return void this.stage(chunk).then(() => done(this.failure), done);
    if (this.failure) {
      this.blocks.free(lent);
      return done(this.failure);
    }
    const at = this.position;
    this.position += lent.end - lent.from;
    // The body placed its bytes where this stream's go: written from there. Anywhere else (tus only
    // writes from the offset the request named, which is where the body placed them), its bytes are
    // written where they belong, through the page cache.
    if (lent.base + lent.from === at) this.issue(lent, true);
    else this.track(this.writeRange(lent.memory, lent.from, lent.end, at - lent.from, false).then(() => this.blocks.free(lent)), lent.end - lent.from);
    done();
  }

  override _final(done: (error?: Error | null) => void): void {
    if (this.current && this.current.end > this.current.from && !this.failure) this.issue(this.current, true);
    this.current = undefined;
    this.settle(this.buffered, true).then(() => done(this.failure), done);
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    // Whatever arrived before the stream broke off is kept: tus resumes after it.
    if (this.current && this.current.end > this.current.from && !this.failure) this.issue(this.current, true);
    this.current = undefined;
    this.settle(this.buffered)
      .then(() => Promise.all([this.direct?.close(), this.buffered?.close()]))
      .finally(() => this.blocks.release())
      .then(
        () => done(error),
        (closeError: Error) => done(error ?? closeError),
      );
  }

  /** Copies a chunk into staging blocks, sending each block to the disk as it fills. */
  private async stage(chunk: Buffer): Promise<void> {
    let copied = 0;
    while (copied < chunk.length && !this.failure) {
      if (!this.current) {
        const block = await this.nextBlock();
        // Destroyed while waiting for the block: what was staged is written by _destroy, the rest of this chunk is not taken.
        if (this.destroyed) return void this.blocks.free(block);
        this.current = block;
      }
      const block = this.current;
      const n = chunk.copy(block.memory, block.end, copied);
      block.end += n;
      copied += n;
      this.position += n;
      if (block.end === block.memory.length) {
        this.issue(block, false);
        this.current = undefined;
      }
    }
  }

  /** A free staging block placed at the stream's position, waiting for one if all are on their way. */
  private async nextBlock(): Promise<Staged> {
    for (;;) {
      const block = this.blocks.take(this.position);
      if (block) return block;
      // A write of this stream's settling (and with it the flush it may start) frees one; else the body's do.
      await (this.inFlight.size > 0 ? Promise.race(this.inFlight) : this.blocks.freed());
    }
  }

  /** Writes a block's bytes: its aligned middle with O_DIRECT, an unaligned head or (last) tail through the page cache. */
  private issue(block: Staged, last: boolean): void {
    const { memory, base, from, end } = block;
    const headEnd = Math.min(end, alignUp(from));
    const directEnd = Math.max(headEnd, last ? alignDown(end) : end);
    // The block is free again once all three are done: only then may nextBlock() find it.
    this.track(
      Promise.all([
        this.writeRange(memory, from, headEnd, base, false),
        this.writeRange(memory, headEnd, directEnd, base, true),
        this.writeRange(memory, directEnd, end, base, false),
      ]).then(() => this.blocks.free(block)),
      end - from,
    );
  }

  private async writeRange(memory: Buffer, from: number, to: number, base: number, direct: boolean): Promise<void> {
    if (to <= from) return;
    try {
      if (direct && this.useDirect) {
        try {
          await writeRangeAll(this.direct!, memory, from, to, base);
          return;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
          this.useDirect = false; // the kernel will not take these writes: the page cache from now on
        }
      }
      await writeRangeAll(this.buffered!, memory, from, to, base);
    } catch (error) {
      this.failed(base + from, error as Error);
    }
  }
}

/** write() until memory[from, to) is in the file at base + from (a regular file may take fewer bytes than asked). */
async function writeRangeAll(handle: FileHandle, memory: Buffer, from: number, to: number, base: number): Promise<void> {
  let at = from;
  while (at < to) {
    const { bytesWritten } = await handle.write(memory, at, to - at, base + at);
    if (bytesWritten === 0) throw Object.assign(new Error(`no byte of a write at ${base + at} went to disk`), { code: 'EIO' });
    at += bytesWritten;
  }
}
