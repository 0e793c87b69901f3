import { open, type FileHandle } from 'node:fs/promises';

/** An open file lent to one reader, with its size when it was opened; give it back with release(). */
export interface OpenFile {
  readonly handle: FileHandle;
  readonly size: number;
  release(): void;
}

interface Entry {
  readonly opening: Promise<{ handle: FileHandle; size: number }>;
  readonly openedAt: number;
  users: number;
  lastUsed: number;
  /** Removed from the map: closed by whoever gives it back last. */
  dropped: boolean;
}

/**
 * Read handles kept open between requests, so a player's next range of the same file costs one read
 * and not open + fstat + read + close. The open and close went through libuv's thread pool too, and
 * queued behind the reads: with 32 clients reading random 1 MiB ranges of one file, a plain Node
 * server served about 630 MB/s opening the file per request and about 1 GB/s keeping it open.
 *
 * A handle reads the file that was at its path when it was opened. Writes and deletes through the
 * same store drop it at once (forget); anything else that replaces or removes the file is seen when
 * the handle is opened again: after `idleMs` unused, or `maxAgeMs` after it was opened, whichever
 * comes first. At most `limit` unused handles stay open; a handle in use is never closed under its reader.
 */
export class OpenFiles {
  /** By key: the store's name for the file. */
  private readonly entries = new Map<string, Entry>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly openChecked: (key: string) => Promise<{ handle: FileHandle; size: number }>,
    private readonly options: { limit: number; idleMs: number; maxAgeMs: number } = { limit: 64, idleMs: 10_000, maxAgeMs: 60_000 },
  ) {}

  /** Open handles, in use or not: for tests and health. */
  get size(): number {
    return this.entries.size;
  }

  async borrow(key: string): Promise<OpenFile> {
    let entry = this.entries.get(key);
    if (entry && Date.now() - entry.openedAt > this.options.maxAgeMs) {
      this.drop(key, entry);
      entry = undefined;
    }
    if (entry) {
      // Most recently used goes last, so the first unused one in the map is the one to close.
      this.entries.delete(key);
      this.entries.set(key, entry);
    } else {
      entry = { opening: this.openChecked(key), openedAt: Date.now(), users: 0, lastUsed: Date.now(), dropped: false };
      this.entries.set(key, entry);
      const opened = entry;
      // A failed open is not kept: the next reader tries again.
      opened.opening.catch(() => {
        if (this.entries.get(key) === opened) this.entries.delete(key);
        opened.dropped = true;
      });
    }
    entry.users++;
    let file: { handle: FileHandle; size: number };
    try {
      file = await entry.opening;
    } catch (error) {
      entry.users--;
      throw error;
    }
    const lent = entry;
    let released = false;
    return {
      handle: file.handle,
      size: file.size,
      release: () => {
        if (released) return;
        released = true;
        lent.users--;
        lent.lastUsed = Date.now();
        if (lent.dropped) this.closeIfUnused(lent);
        else this.trim();
      },
    };
  }

  /** The file under this key was replaced or removed: readers now get the new one (or none). */
  forget(key: string): void {
    const entry = this.entries.get(key);
    if (entry) this.drop(key, entry);
  }

  /** Closes every handle not in use, and the rest as their readers finish. */
  closeAll(): void {
    for (const [key, entry] of [...this.entries]) this.drop(key, entry);
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private drop(key: string, entry: Entry): void {
    if (this.entries.get(key) === entry) this.entries.delete(key);
    entry.dropped = true;
    this.closeIfUnused(entry);
  }

  private closeIfUnused(entry: Entry): void {
    if (entry.users > 0) return;
    entry.opening.then(
      ({ handle }) => handle.close().catch(() => undefined),
      () => undefined,
    );
  }

  /** Beyond the limit, the least recently used unused handles close; idle ones close on the sweeper's next turn. */
  private trim(): void {
    let over = this.entries.size - this.options.limit;
    for (const [key, entry] of this.entries) {
      if (over <= 0) break;
      if (entry.users > 0) continue;
      this.drop(key, entry);
      over--;
    }
    if (!this.sweeper && this.entries.size > 0) {
      this.sweeper = setInterval(() => this.sweep(), Math.max(1000, this.options.idleMs / 2));
      this.sweeper.unref();
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of [...this.entries]) {
      if (entry.users === 0 && (now - entry.lastUsed > this.options.idleMs || now - entry.openedAt > this.options.maxAgeMs)) this.drop(key, entry);
    }
    if (this.entries.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}

/** Opens a file for reading and checks it is a plain file; `notFound` makes the error for a missing one. */
export async function openRegularFile(path: string, notFound: () => Error): Promise<{ handle: FileHandle; size: number }> {
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') throw notFound();
    throw error;
  });
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw notFound();
    return { handle, size: stat.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
