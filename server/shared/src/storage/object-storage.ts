import { createReadStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

/** A byte range, both ends inclusive, as HTTP Range headers count. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ObjectStat {
  key: string;
  size: number;
  modified: Date;
}

/**
 * The object-storage port. Everything above it (uploads, streaming, the worker) talks only to this,
 * never to the file system or S3 directly, so the `fs` and `s3` drivers are interchangeable.
 * Keys are never also folders of other keys ("a" beside "a/b"): S3 allows it, plain files cannot.
 */
export interface ObjectStorage {
  readonly driver: 'fs' | 's3' | 'gateway';
  /** Where the s3 driver's server (or a node's gateway) is, no credentials, for /api/health and error messages; fs has none. */
  readonly endpoint?: string;
  /** Writes a whole object from a stream; the object appears only once every byte has arrived. */
  put(key: string, body: Readable, options?: { contentType?: string }): Promise<ObjectStat>;
  /**
   * Optional, where a driver can do better than put() with a read stream: writes a whole object
   * from a local file that nobody changes any more (a finished HLS segment). Use putFile() below,
   * which falls back to put().
   */
  putFile?(key: string, path: string, options?: { contentType?: string }): Promise<ObjectStat>;
  /** Reads an object, or one range of it. Rejects with ObjectNotFoundError when it does not exist. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /**
   * Optional, where a driver can serve reads faster than get() + pipeline: writes the object (or one
   * range) into `to` with backpressure and ends it. Rejects with ObjectNotFoundError, before
   * writing anything, when the object does not exist; stops quietly when `to` is destroyed.
   * The fs driver reuses a chunk's buffer once its write callback has run, so `to` must not hold a
   * chunk past that: an http.ServerResponse or a net.Socket (the bytes are in the kernel by then)
   * qualifies, a PassThrough or anything that queues chunks for a reader does not.
   */
  sendTo?(key: string, range: ByteRange | undefined, to: Writable): Promise<void>;
  /** Size and time of an object, or null when it does not exist. */
  stat(key: string): Promise<ObjectStat | null>;
  delete(key: string): Promise<void>;
  /** Deletes every object whose key starts with the prefix; returns how many went. */
  deletePrefix(prefix: string): Promise<number>;
  list(prefix: string): AsyncIterable<ObjectStat>;
  /** Proves the store is reachable and writable; rejects with the reason when it is not. */
  check(): Promise<void>;
}

/** Writes a local file as an object: the driver's own putFile where it has one, else put() with a read stream. */
export function putFile(storage: ObjectStorage, key: string, path: string, options?: { contentType?: string }): Promise<ObjectStat> {
  return storage.putFile ? storage.putFile(key, path, options) : storage.put(key, createReadStream(path), options);
}

export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no object at "${key}"`);
    this.name = 'ObjectNotFoundError';
  }
}

/** Keys are relative, slash-separated, and never climb out of the store. */
export function assertValidKey(key: string): void {
  if (
    key.length === 0 ||
    key.startsWith('/') ||
    key.includes('\\') ||
    key.includes('\0') ||
    key.split('/').some((part) => part === '..' || part === '.' || part === '')
  ) {
    throw new Error(`invalid object key "${key}": keys are relative paths without empty, "." or ".." parts`);
  }
}

/**
 * A prefix selects keys by their start: "" (everything), a folder ("hls/abc/") or part of a name
 * ("hls/abc/seg_"). It obeys the key rules, apart from the trailing slash.
 */
export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return;
  try {
    assertValidKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  } catch {
    throw new Error(`invalid object key prefix "${prefix}": prefixes are relative paths without empty, "." or ".." parts`);
  }
}
