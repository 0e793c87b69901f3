import { constants, createWriteStream, type Dirent } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ServerResponse } from 'node:http';
import { OpenFiles, openRegularFile } from './open-files';
import { sendFileTo, sendfileSocket } from './sendfile';
import { assertValidKey, assertValidPrefix, ObjectNotFoundError, type ByteRange, type ObjectStat, type ObjectStorage } from './object-storage';

/** Objects as plain files under one folder (`data/objects` by default), with the same key layout as S3. */
const READ_CHUNK = 1024 * 1024;

/**
 * Read buffers lent at once, across every reader: a reader holds one until the socket has taken its
 * bytes, so 50 readers held 50 MiB; past this many, a reader waits for one to come back. The
 * kernel's socket buffers keep every connection busy meanwhile, so memory stays flat in the number
 * of readers (ops/bench/range.ts, 50 readers).
 */
const LENT_BUFFERS = 24;
/**
 * Free read buffers kept for sendTo: every one that comes back, so 24 MiB stays allocated once a
 * burst of readers is over. Keeping fewer (16) than could be lent made a busy gateway drop buffers
 * and allocate new ones all the time: 1 MiB of external memory each, which V8 answers with full
 * collections (13 in 15 s of ops/bench/range.ts) and which cost about a tenth of the throughput.
 */
const POOLED_BUFFERS = LENT_BUFFERS;

export class FsObjectStorage implements ObjectStorage {
  readonly driver = 'fs' as const;
  private readonly buffers = new BufferPool(READ_CHUNK, POOLED_BUFFERS, LENT_BUFFERS);
  /** Read handles sendTo keeps open between requests (see OpenFiles): what writes and deletes here forget. */
  readonly openFiles = new OpenFiles((key) => openRegularFile(this.path(key), () => new ObjectNotFoundError(key)));

  constructor(private readonly root: string) {}

  private path(key: string): string {
    assertValidKey(key);
    return join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Readable): Promise<ObjectStat> {
    return this.write(key, (partial) => pipeline(body, createWriteStream(partial)));
  }

  /**
   * A copy made by the kernel (copy_file_range, or a reflink where the file system shares blocks)
   * rather than a read stream through JavaScript. The worker publishes every segment of a ladder
   * this way while ffmpeg keeps both cores busy: a 10 MB 4K segment took 64 ms through a stream
   * and 14 ms this way with an encode running beside it (32 and 4 ms without; medians of 10).
   */
  async putFile(key: string, path: string): Promise<ObjectStat> {
    return this.write(key, (partial) => copyFile(path, partial, constants.COPYFILE_FICLONE));
  }

  /** Writes beside the target and renames, so a reader never sees half an object. */
  private async write(key: string, fill: (partial: string) => Promise<void>): Promise<ObjectStat> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true }).catch((error: unknown) => {
      throw keyFolderClash(key, error);
    });
    const partial = join(this.root, '.partial', randomUUID());
    await mkdir(dirname(partial), { recursive: true });
    try {
      await fill(partial);
      await rename(partial, target);
      this.openFiles.forget(key);
    } catch (error) {
      await rm(partial, { force: true });
      throw keyFolderClash(key, error);
    }
    return (await this.stat(key))!;
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const handle = await this.openFile(key);
    // 1 MiB reads instead of the default 64 KiB: a sixteenth of the syscalls and socket writes
    // when streaming video (measured by ops/bench/range.ts).
    return handle.createReadStream({ highWaterMark: READ_CHUNK, ...(range ? { start: range.start, end: range.end } : {}) });
  }

  /**
   * To a Node HTTP response that sendfile can take (sendfileSocket), the kernel sends the bytes
   * from the page cache, and nothing goes through JavaScript (sendfile.ts). Otherwise, what get() +
   * pipeline do, without a Readable in between and without a new 1 MiB buffer per read: each read
   * lands in a buffer of a shared pool, which goes back to the pool once the destination has handed
   * its bytes to the socket (the write's callback). Measured on a plain Node server with 32
   * clients reading random 1 MiB ranges: about 1.2x the throughput of a read stream, and no garbage
   * for the collector to chase, so memory stays at the reads in flight.
   */
  async sendTo(key: string, range: ByteRange | undefined, to: Writable): Promise<void> {
    const file = await this.openFiles.borrow(key);
    const handle = file.handle;
    try {
      let position = range?.start ?? 0;
      const end = range ? range.end : file.size - 1;
      const socket = end < file.size ? sendfileSocket(to, end - position + 1) : undefined;
      if (socket) {
        await sendFileTo(to as ServerResponse, socket, handle.fd, position, end - position + 1).catch((error: NodeJS.ErrnoException & { sent?: number }) => {
          // Whatever went wrong with this handle, the next reader opens the file afresh.
          this.openFiles.forget(key);
          throw error.code === 'ENODATA' ? truncated(key, position + (error.sent ?? 0), end) : error;
        });
        return;
      }
      while (position <= end && !to.destroyed) {
        const buffer = await this.buffers.take();
        if (to.destroyed) {
          this.buffers.give(buffer);
          break;
        }
        let bytesRead: number;
        try {
          ({ bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, end - position + 1), position));
        } catch (error) {
          this.buffers.give(buffer);
          // Whatever went wrong with this handle, the next reader opens the file afresh.
          this.openFiles.forget(key);
          throw error;
        }
        if (bytesRead === 0) {
          this.buffers.give(buffer);
          this.openFiles.forget(key);
          throw truncated(key, position, end);
        }
        position += bytesRead;
        const more = to.write(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead), () => this.buffers.give(buffer));
        // destroyed is set at once and 'close' comes later, so a destination not destroyed now will still say 'close'.
        if (!more && !to.destroyed) await drainedOrClosed(to);
      }
      if (!to.destroyed) to.end();
    } finally {
      file.release();
    }
  }

  /** Opened first, then checked: an object deleted in between is "not found", not a stray ENOENT. */
  private async openFile(key: string): Promise<FileHandle> {
    return (await openRegularFile(this.path(key), () => new ObjectNotFoundError(key))).handle;
  }

  async stat(key: string): Promise<ObjectStat | null> {
    try {
      const s = await stat(this.path(key));
      return s.isFile() ? { key, size: s.size, modified: s.mtime } : null;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await unlink(this.path(key)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    this.openFiles.forget(key);
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix);
    let count = 0;
    for await (const object of this.list(prefix)) {
      await this.delete(object.key);
      count++;
    }
    return count;
  }

  async *list(prefix: string): AsyncIterable<ObjectStat> {
    assertValidPrefix(prefix);
    // Walk only the folder the prefix points into, not the whole store.
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const start = folder ? this.path(folder) : this.root;
    for await (const path of walk(start)) {
      const key = relative(this.root, path).split(sep).join('/');
      if (!key.startsWith(prefix) || key.startsWith('.partial/')) continue;
      const s = await stat(path).catch(() => null);
      if (s?.isFile()) yield { key, size: s.size, modified: s.mtime };
    }
  }

  async check(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    const probe = join(this.root, `.health-${process.pid}`);
    await writeFile(probe, 'ok');
    await unlink(probe);
  }
}

/** The file is shorter than asked for: the caller promised a length it cannot have. */
function truncated(key: string, position: number, end: number): Error {
  return new Error(`"${key}" ended at byte ${position}, before the ${end + 1} bytes asked for: was it truncated?`);
}

/** A file cannot also be a folder, so "a" and "a/b" cannot both be objects here (S3 would allow it). */
function keyFolderClash(key: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EISDIR') {
    return new Error(`cannot store "${key}": other objects live under "${key}/", and the fs driver cannot hold a key that is also a folder`);
  }
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    return new Error(`cannot store "${key}": part of its path is already an object, and the fs driver cannot hold a key that is also a folder`);
  }
  return error;
}

async function* walk(dir: string): AsyncIterable<string> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  // Keys come out in S3's order (UTF-8 bytes of the whole key). A folder sorts as its name plus "/",
  // so "a-c" < "a/b" < "a0", as the keys compare.
  const sortName = (entry: Dirent) => Buffer.from(entry.isDirectory() ? `${entry.name}/` : entry.name);
  entries.sort((a, b) => Buffer.compare(sortName(a), sortName(b)));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

/**
 * Buffers of one size, handed out and given back: at most `lend` out at once (take() waits for one
 * to come back, first come first served), and at most `keep` waiting in the pool once they are back.
 */
class BufferPool {
  private readonly free: Buffer[] = [];
  private readonly waiting: ((buffer: Buffer) => void)[] = [];
  private lent = 0;

  constructor(
    private readonly size: number,
    private readonly keep: number,
    private readonly lend = Infinity,
  ) {}

  /** Buffers handed out and not yet given back. */
  get inUse(): number {
    return this.lent;
  }

  take(): Buffer | Promise<Buffer> {
    if (this.lent >= this.lend) return new Promise((resolve) => this.waiting.push(resolve));
    this.lent++;
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  give(buffer: Buffer): void {
    const next = this.waiting.shift();
    if (next) {
      next(buffer);
      return;
    }
    this.lent--;
    if (this.free.length < this.keep) this.free.push(buffer);
  }
}

function drainedOrClosed(to: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      to.off('drain', done);
      to.off('close', done);
      resolve();
    };
    to.on('drain', done);
    to.on('close', done);
  });
}
