import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import type { DataStore } from '@tus/utils';

/**
 * The size of the blocks an upload's bytes reach the s3 store in (its part files, see
 * upload-parts.ts). Gathered here, each of the request's 16–64 KiB chunks is garbage as soon as it
 * is copied, instead of waiting in the part file's writer: over three 2 GiB uploads each, the
 * gateway's peak RSS was 228/212/213 MB with the blocks and 211/234/247 MB without them.
 */
export const WRITE_BLOCK = 1024 * 1024;

interface Session {
  hash: Hash;
  /** Bytes hashed so far; equal to the upload's offset while the session is valid. */
  offset: number;
  touched: number;
}

/**
 * sha256 of uploads, computed as the bytes stream through, so that checking the declared hash at
 * the end costs nothing. Node's Hash cannot be saved and restored, so a session only survives in
 * this process and only while writes stay contiguous: after a gateway restart, or a write that
 * failed half-way (what the store kept is then unknown), the session is dropped and the hash is
 * computed by reading the finished object back from storage.
 */
export class UploadHashes {
  private readonly sessions = new Map<string, Session>();
  private countBytes: (bytes: number) => void = () => undefined;

  /** Tells `count` about every chunk that goes on to the store (for the upload bytes metric). */
  onBytes(count: (bytes: number) => void): void {
    this.countBytes = count;
  }

  /**
   * Wraps store.write so every byte that reaches the store passes through the hash first.
   * `blockBytes`: gather the request's chunks into writes of this size (a copy of every byte); 0 hands
   * them on as they are, for a store that gathers them itself without copying (WideFileStore).
   */
  attach(store: DataStore, blockBytes = WRITE_BLOCK): void {
    const write = store.write.bind(store);
    store.write = async (readable: Readable, id: string, offset: number) => {
      const session = this.sessionAt(id, offset);
      let seen = 0;
      const count = this.countBytes;
      const pending: Buffer[] = [];
      let pendingBytes = 0;
      const release = (): Buffer => {
        const block = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
        pending.length = 0;
        pendingBytes = 0;
        session?.hash.update(block);
        seen += block.length;
        count(block.length);
        return block;
      };
      const tap = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          pending.push(chunk);
          pendingBytes += chunk.length;
          if (pendingBytes >= blockBytes) done(null, release());
          else done();
        },
        flush(done) {
          if (pendingBytes > 0) done(null, release());
          else done();
        },
      });
      readable.on('error', (error) => tap.destroy(error));
      readable.pipe(tap);
      try {
        const newOffset = await write(tap, id, offset);
        if (session && newOffset === offset + seen) {
          session.offset = newOffset;
          session.touched = Date.now();
        } else {
          this.sessions.delete(id);
        }
        return newOffset;
      } catch (error) {
        this.sessions.delete(id);
        throw error;
      }
    };
  }

  /** The hex digest when this process saw every byte from 0 to size; otherwise null. */
  digest(id: string, size: number): string | null {
    const session = this.sessions.get(id);
    this.sessions.delete(id);
    return session && session.offset === size ? session.hash.digest('hex') : null;
  }

  forget(id: string): void {
    this.sessions.delete(id);
  }

  /** Drops sessions of uploads nobody has written to for a while (abandoned clients). */
  prune(idleMs: number): void {
    const cutoff = Date.now() - idleMs;
    for (const [id, session] of this.sessions) if (session.touched < cutoff) this.sessions.delete(id);
  }

  private sessionAt(id: string, offset: number): Session | undefined {
    if (offset === 0) {
      const session = { hash: createHash('sha256'), offset: 0, touched: Date.now() };
      this.sessions.set(id, session);
      return session;
    }
    const session = this.sessions.get(id);
    if (session && session.offset === offset) return session;
    this.sessions.delete(id);
    return undefined;
  }
}

/** sha256 of a stream, for when the incremental hash was lost. */
export async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
