import { mkdirSync, rmSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LRUCache } from 'lru-cache';
import { FsObjectStorage } from './fs-object-storage';
import { ObjectNotFoundError, putFile, type ByteRange, type ObjectStat, type ObjectStorage } from './object-storage';

export interface ReadCacheOptions {
  /** A folder of its own: emptied when the cache starts, since nothing says what changed while it was not running. */
  dir: string;
  /** Bytes the cached copies may take in all. */
  maxBytes: number;
  /** The largest object worth a copy; by default half of maxBytes. */
  maxObjectBytes?: number;
  /** Bytes the file system must still have free after a copy; by default 2 GiB. */
  minFreeBytes?: number;
  /**
   * Which keys may be copied: only objects that never change once written, since a copy is not
   * checked against the store on a read. By default Nebula's originals (`originals/<file id>`):
   * a file's bytes are written once, at the end of its upload, under an id never used again.
   */
  cacheable?: (key: string) => boolean;
  /** Bytes free for this folder's file system; by default what statfs says. A test's stand-in for a full disk. */
  freeBytes?: (dir: string) => Promise<number>;
  /** A copy is made on this read of an object not yet copied (2: the first read of a player's second range). */
  readsBeforeCopy?: number;
  /** A key whose copy failed is not tried again before this long (ms). */
  retryAfterMs?: number;
  /** Each read, as answered from a copy or from the store. */
  onRead?: (answered: 'copy' | 'store') => void;
  log?: (level: 'info' | 'warn', message: string) => void;
}

const GiB = 1024 ** 3;

interface Copying {
  key: string;
  /** Written or deleted meanwhile: the copy is thrown away. */
  dropped: boolean;
  body?: Readable;
  done: Promise<void>;
}
/** Keys read but not copied whose reads are counted: the oldest are forgotten beyond this. */
const COUNTED_KEYS = 10_000;

/**
 * Keeps local copies of objects that are read again and again, and answers their reads from the
 * copy: a player seeking in an original asks for dozens of ranges, and each one proxied from the
 * store costs a request to it and every byte copied through the gateway twice (in from the store,
 * out to the player). With the store, the gateway and the client on two cores, proxied ranged
 * reads reached about 0.6x of the store's own (ops/bench/range.ts, BENCH_DRIVER=s3); from a copy
 * they go at the fs driver's pace. This is what rclone's VFS cache and nginx's proxy_cache do.
 *
 * - A copy is made in the background on an object's second read (readsBeforeCopy), one at a
 *   time, streamed to disk (memory stays flat in the object's size) and renamed into place when
 *   whole; reads go to the store until then. A copy that fails costs nothing but its retry.
 * - Bounded: at most maxBytes in all (the least recently read go first), no object over
 *   maxObjectBytes, and never below minFreeBytes free on the disk.
 * - Only keys that never change once written (cacheable), since a read does not ask the store
 *   whether the copy is current. Writes and deletes through this store drop the copy at once.
 * - Emptied at start: a store changed while the gateway was down (a restore, a `nebula replay`)
 *   must not meet old copies.
 *
 * Everything but reads goes to the store unchanged.
 */
export class ReadCachedStorage implements ObjectStorage {
  readonly driver: ObjectStorage['driver'];
  readonly endpoint?: string;
  private readonly local: FsObjectStorage;
  /** Copies that are whole, by key, with their size; in order of last read, the oldest first. */
  private readonly copies = new Map<string, number>();
  /** Bytes of the copies, and of the one being made. */
  private used = 0;
  /** Reads of keys not copied yet, for readsBeforeCopy; the least recently read forgotten beyond COUNTED_KEYS. */
  private readonly reads = new LRUCache<string, number>({ max: COUNTED_KEYS });
  /** Keys whose copy failed or was refused lately: not tried again until they expire (retryAfterMs). */
  private readonly refused: LRUCache<string, true>;
  private copying?: Copying;
  private readonly maxObjectBytes: number;
  private readonly minFreeBytes: number;
  private readonly cacheable: (key: string) => boolean;
  private readonly readsBeforeCopy: number;
  private readonly freeBytes: (dir: string) => Promise<number>;

  constructor(
    private readonly store: ObjectStorage,
    private readonly options: ReadCacheOptions,
  ) {
    this.driver = store.driver;
    if (store.endpoint !== undefined) this.endpoint = store.endpoint;
    rmSync(options.dir, { recursive: true, force: true });
    mkdirSync(options.dir, { recursive: true });
    this.local = new FsObjectStorage(options.dir);
    this.maxObjectBytes = Math.min(options.maxObjectBytes ?? Math.floor(options.maxBytes / 2), options.maxBytes);
    this.minFreeBytes = options.minFreeBytes ?? 2 * GiB;
    this.cacheable = options.cacheable ?? ((key) => /^originals\/[^/]+$/.test(key));
    this.readsBeforeCopy = options.readsBeforeCopy ?? 2;
    this.refused = new LRUCache({ max: COUNTED_KEYS, ttl: options.retryAfterMs ?? 60_000 });
    this.freeBytes = options.freeBytes ?? (async (dir) => {
      const disk = await statfs(dir);
      return disk.bavail * disk.bsize;
    });
  }

  /** Bytes the copies take now (the one being made included). */
  get usedBytes(): number {
    return this.used;
  }

  /** Whether reads of this key are answered from a copy now. */
  has(key: string): boolean {
    return this.copies.has(key);
  }

  /** Resolves when the copy being made (if any) is done or given up. */
  async settled(): Promise<void> {
    while (this.copying) await this.copying.done;
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    if (this.copies.has(key)) {
      try {
        const body = await this.local.get(key, range);
        this.touch(key);
        this.options.onRead?.('copy');
        return body;
      } catch (error) {
        await this.lost(key, error);
      }
    }
    const body = await this.store.get(key, range);
    this.counted(key);
    return body;
  }

  async sendTo(key: string, range: ByteRange | undefined, to: Writable): Promise<void> {
    if (this.copies.has(key)) {
      try {
        this.touch(key);
        await this.local.sendTo(key, range, to);
        this.options.onRead?.('copy');
        return;
      } catch (error) {
        // ObjectNotFoundError comes before a byte is written (the copy's file is gone): the store answers.
        if (!(error instanceof ObjectNotFoundError)) {
          this.options.onRead?.('copy');
          throw error;
        }
        await this.lost(key, error);
      }
    }
    if (this.store.sendTo) {
      await this.store.sendTo(key, range, to);
      this.counted(key);
      return;
    }
    const body = await this.store.get(key, range);
    this.counted(key);
    await pipeline(body, to).catch((error: NodeJS.ErrnoException) => {
      // The reader went away: not a failure of the read.
      if (error.code === 'ERR_STREAM_PREMATURE_CLOSE' && to.destroyed) return;
      throw error;
    });
  }

  async put(key: string, body: Readable, options?: { contentType?: string }): Promise<ObjectStat> {
    await this.drop(key);
    try {
      return await this.store.put(key, body, options);
    } finally {
      await this.drop(key);
    }
  }

  async putFile(key: string, path: string, options?: { contentType?: string }): Promise<ObjectStat> {
    await this.drop(key);
    try {
      return await putFile(this.store, key, path, options);
    } finally {
      await this.drop(key);
    }
  }

  async delete(key: string): Promise<void> {
    await this.drop(key);
    await this.store.delete(key);
  }

  async deletePrefix(prefix: string): Promise<number> {
    for (const key of [...this.copies.keys()]) if (key.startsWith(prefix)) await this.drop(key);
    if (this.copying?.key.startsWith(prefix)) await this.drop(this.copying.key);
    return this.store.deletePrefix(prefix);
  }

  stat(key: string): Promise<ObjectStat | null> {
    return this.store.stat(key);
  }

  list(prefix: string): AsyncIterable<ObjectStat> {
    return this.store.list(prefix);
  }

  check(): Promise<void> {
    return this.store.check();
  }

  /** Moves a key to the end of the read order. */
  private touch(key: string): void {
    const size = this.copies.get(key);
    if (size === undefined) return;
    this.copies.delete(key);
    this.copies.set(key, size);
  }

  /** A copy that could not be read (its file removed behind the cache's back): forgotten, read from the store. */
  private async lost(key: string, error: unknown): Promise<void> {
    this.options.log?.('warn', `the copy of "${key}" could not be read (${(error as Error).message}); reading the store`);
    const size = this.copies.get(key);
    if (size === undefined) return;
    this.copies.delete(key);
    this.used -= size;
    // Whatever is left of it goes too: no file on disk that the size above no longer counts.
    await this.local.delete(key).catch(() => undefined);
  }

  /** A read answered by the store: counted, and the copy begun when it is due. */
  private counted(key: string): void {
    this.options.onRead?.('store');
    if (!this.cacheable(key) || this.copies.has(key)) return;
    const reads = (this.reads.get(key) ?? 0) + 1;
    this.reads.set(key, reads);
    if (reads < this.readsBeforeCopy || this.copying || this.refused.has(key)) return;
    this.reads.delete(key);
    const copying: Copying = { key, dropped: false, done: Promise.resolve() };
    this.copying = copying;
    copying.done = this.copy(copying);
  }

  private async copy(copying: Copying): Promise<void> {
    const { key } = copying;
    let reserved = 0;
    try {
      const stat = await this.store.stat(key);
      if (!stat || stat.size === 0 || copying.dropped) return;
      if (stat.size > this.maxObjectBytes) {
        // Asked again only after retryAfterMs, not at every read.
        this.refused.set(key, true);
        return;
      }
      // Decided before anything is evicted: a copy the disk has no room for costs no other copy.
      const evicted = Math.max(0, this.used + stat.size - this.options.maxBytes);
      const free = await this.freeBytes(this.options.dir);
      if (free + evicted - stat.size < this.minFreeBytes) {
        this.options.log?.('warn', `no copy of "${key}" (${stat.size} bytes): the disk would have less than ${this.minFreeBytes} bytes free`);
        this.refused.set(key, true);
        return;
      }
      await this.makeRoom(stat.size);
      reserved = stat.size;
      this.used += reserved;
      const started = Date.now();
      copying.body = await this.store.get(key);
      const written = await this.local.put(key, copying.body);
      if (copying.dropped) {
        await this.local.delete(key);
        return;
      }
      if (written.size !== stat.size) {
        await this.local.delete(key);
        throw new Error(`the copy has ${written.size} bytes, the store said ${stat.size}`);
      }
      this.copies.set(key, written.size);
      reserved = 0;
      this.refused.delete(key);
      this.options.log?.('info', `kept a copy of "${key}" (${written.size} bytes in ${Date.now() - started} ms; ${this.used} bytes cached)`);
    } catch (error) {
      if (!copying.dropped) {
        this.refused.set(key, true);
        this.options.log?.('warn', `no copy of "${key}": ${(error as Error).message}; its reads go to the store`);
      }
    } finally {
      this.used -= reserved;
      if (this.copying === copying) this.copying = undefined;
    }
  }

  /** Removes the least recently read copies until `bytes` more fit. */
  private async makeRoom(bytes: number): Promise<void> {
    for (const [key] of this.copies) {
      if (this.used + bytes <= this.options.maxBytes) return;
      await this.drop(key);
    }
  }

  /** The key's copy goes (and a copy being made of it is abandoned). */
  private async drop(key: string): Promise<void> {
    if (this.copying?.key === key) {
      this.copying.dropped = true;
      this.copying.body?.destroy();
    }
    this.reads.delete(key);
    const size = this.copies.get(key);
    if (size === undefined) return;
    this.copies.delete(key);
    this.used -= size;
    await this.local.delete(key);
  }
}
