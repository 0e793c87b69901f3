import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
// Not from @nebula/shared's index, which loads the server's config and zod with it (about 50 ms
// at the start of every upload).
import { sampleHash } from '@nebula/shared/sample-hash';
import { FilePiece } from './file-sending-http';

/** 1 MiB reads hash about twice as fast as the 64 KiB default (measured: ~1 GB/s vs ~0.45 GB/s). */
const READ_SIZE = 1024 * 1024;

/**
 * Feeds bytes [0, end) of a file into `hash`, streaming: memory stays at one read buffer whatever
 * the file's size. `onProgress` gets the bytes hashed so far.
 */
export async function hashFileInto(hash: Hash, path: string, options: { end?: number; onProgress?: (bytes: number) => void } = {}): Promise<number> {
  if (options.end === 0) return 0;
  const stream = createReadStream(path, { highWaterMark: READ_SIZE, end: options.end === undefined ? undefined : options.end - 1 });
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
    options.onProgress?.(bytes);
  }
  return bytes;
}

/** The hex sha256 of a whole file, read once as a stream. */
export async function sha256File(path: string, onProgress?: (bytes: number) => void): Promise<string> {
  const hash = createHash('sha256');
  await hashFileInto(hash, path, { onProgress });
  return hash.digest('hex');
}

/** The sample hash of a file (see sampleHash in @nebula/shared): a few small reads, whatever its size. */
export async function sampleHashFile(path: string, size: number): Promise<string> {
  const handle = await open(path, 'r');
  try {
    return await sampleHash(size, async (range) => {
      const block = Buffer.alloc(range.end - range.start + 1);
      const { bytesRead } = await handle.read(block, 0, block.length, range.start);
      return block.subarray(0, bytesRead);
    });
  } finally {
    await handle.close();
  }
}

/** Bytes at the end of a file that go in a PATCH of their own, once the hash of the rest is known. */
export const FINAL_PIECE = 64 * 1024;

/**
 * The sha256 of a file computed from the very bytes read to send it, so a file is read once:
 * `piece(start, end)` gives the file's bytes [start, end) for one PATCH and feeds them to the hash on
 * the way. The last FINAL_PIECE bytes are held back for a PATCH of their own: when it is asked for,
 * everything before has been hashed, so its request can carry the finished sha256.
 * A piece that does not start where the hash stopped (a resume, a retry after a cut) first hashes
 * the file from disk up to its start: the sha256 state cannot be saved, and that is the one re-read.
 */
export class HashWhileSending {
  private hash: Hash = createHash('sha256');
  /** Bytes [0, hashed) have gone into `hash`. */
  private hashed = 0;
  private final: string | undefined;
  /** Pieces handed out so far: only the newest one's bytes go into the hash. */
  private pieces = 0;
  /** How many times the file was hashed again from the start up to a piece (resumes and retries). */
  rereads = 0;

  constructor(
    private readonly path: string,
    private readonly size: number,
  ) {}

  /** Where the final piece starts. */
  get finalStart(): number {
    return Math.max(0, this.size - FINAL_PIECE);
  }

  /** The hex sha256, once the final piece has been read. */
  get sha256(): string | undefined {
    return this.final;
  }

  /**
   * The bytes [start, end) or fewer (never across the final piece's start), as a FilePiece that
   * hashes what it reads. The final piece is hashed when it is asked for, so its PATCH can carry the
   * sha256; if the file changes before it is sent, the server's sha256 tells.
   */
  async piece(start: number, end: number): Promise<FilePiece> {
    // A piece cut off mid-read may still finish a read after this: its bytes are not this hash's.
    const current = ++this.pieces;
    if (start >= this.finalStart) {
      if (this.final === undefined) {
        const bytes = await readRange(this.path, start, this.size);
        await this.rewindTo(start);
        this.hash.update(bytes);
        this.hashed = this.size;
        this.final = this.hash.digest('hex');
      }
      return new FilePiece(this.path, start, this.size);
    }
    await this.rewindTo(start);
    return new FilePiece(this.path, start, Math.min(end, this.finalStart), (bytes) => {
      if (current !== this.pieces) return;
      this.hash.update(bytes);
      this.hashed += bytes.length;
    });
  }

  private async rewindTo(start: number): Promise<void> {
    if (this.hashed === start && this.final === undefined) return;
    if (start > 0) this.rereads++;
    this.hash = createHash('sha256');
    this.final = undefined;
    this.hashed = await hashFileInto(this.hash, this.path, { end: start });
  }
}

async function readRange(path: string, start: number, end: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const bytes = Buffer.alloc(end - start);
    let at = 0;
    while (at < bytes.length) {
      const { bytesRead } = await handle.read(bytes, at, bytes.length - at, start + at);
      if (bytesRead === 0) throw new Error(`${path} is shorter than ${end} bytes: did it change during the upload?`);
      at += bytesRead;
    }
    return bytes;
  } finally {
    await handle.close();
  }
}
