import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import type { DataStore } from '@tus/utils';

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
   * Wraps store.write so every byte that reaches the store passes through the hash first. The
   * request's chunks go on as they are: both stores gather them into large writes themselves
   * (WideFileStore, and the s3 store's part files, see upload-parts.ts). The s3 store used to get
   * them gathered here into 1 MiB blocks, a copy of every byte. With the s3 driver's memory settings
   * (gatewayMemory in ops/embedded/supervisor.ts), from its start through one 2 GiB upload to S3 the
   * gateway then used 15.5–18.6 s of CPU and peaked at 190–228 MB (median 208, 5 runs); without the
   * copy, 13.1–16.5 s and 191–217 MB (median 195, 7 runs).
   */
  attach(store: DataStore): void {
    const write = store.write.bind(store);
    store.write = async (readable: Readable, id: string, offset: number) => {
      const session = this.sessionAt(id, offset);
      let seen = 0;
      const count = this.countBytes;
      const tap = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          session?.hash.update(chunk);
          seen += chunk.length;
          count(chunk.length);
          done(null, chunk);
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
