import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleHash } from '@nebula/shared';
import type { FilePiece } from './file-sending-http';
import { FINAL_PIECE, HashWhileSending, hashFileInto, sampleHashFile, sha256File } from './hash';

describe('sha256File', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nebula-hash-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('hashes the whole file and reports progress', async () => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    await writeFile(join(dir, 'a.bin'), data);
    const seen: number[] = [];
    const digest = await sha256File(join(dir, 'a.bin'), (bytes) => seen.push(bytes));
    expect(digest).toBe(createHash('sha256').update(data).digest('hex'));
    expect(seen.at(-1)).toBe(data.length);
  });

  it('knows the empty file', async () => {
    await writeFile(join(dir, 'empty'), '');
    expect(await sha256File(join(dir, 'empty'))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes a prefix, for a download that continues a partial file', async () => {
    await writeFile(join(dir, 'abc'), 'abcdef');
    const hash = createHash('sha256');
    expect(await hashFileInto(hash, join(dir, 'abc'), { end: 3 })).toBe(3);
    expect(hash.digest('hex')).toBe(createHash('sha256').update('abc').digest('hex'));
  });
});

describe('HashWhileSending', () => {
  let dir = '';
  let path = '';
  const data = randomBytes(3 * 1024 * 1024 + 12345);
  const sha = createHash('sha256').update(data).digest('hex');
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nebula-hash-send-'));
    path = join(dir, 'f.bin');
    await writeFile(path, data);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** Reads a piece as FileSendingHttpStack does, into one reused buffer. */
  async function bytesOf(piece: FilePiece): Promise<Buffer> {
    const buffer = Buffer.alloc(256 * 1024);
    const read: Buffer[] = [];
    for (let length = await piece.read(buffer); length > 0; length = await piece.read(buffer)) read.push(Buffer.from(buffer.subarray(0, length)));
    await piece.close();
    const bytes = Buffer.concat(read);
    expect(bytes.length).toBe(piece.size);
    return bytes;
  }

  /** What tus-js-client does: ask for [offset, size), send what comes, go on from where it ended. */
  async function send(hashing: HashWhileSending, from: number, upTo = data.length): Promise<Buffer[]> {
    const pieces: Buffer[] = [];
    for (let offset = from; offset < upTo; ) {
      const bytes = await bytesOf(await hashing.piece(offset, upTo));
      pieces.push(bytes);
      offset += bytes.length;
    }
    return pieces;
  }

  it('reads the file once, holding the last 64 KiB back until the sha256 of the rest is known', async () => {
    const hashing = new HashWhileSending(path, data.length);
    expect(hashing.sha256).toBeUndefined();
    const pieces = await send(hashing, 0);
    expect(pieces.map((p) => p.length)).toEqual([data.length - FINAL_PIECE, FINAL_PIECE]);
    expect(Buffer.concat(pieces).equals(data)).toBe(true);
    expect(hashing.sha256).toBe(sha);
    expect(hashing.rereads).toBe(0);
  });

  it('resumes part way (hashing what the server already has from disk), and a cut piece sent again', async () => {
    const resumed = new HashWhileSending(path, data.length);
    const rest = await send(resumed, 1_000_000);
    expect(Buffer.concat(rest).equals(data.subarray(1_000_000))).toBe(true);
    expect(resumed.sha256).toBe(sha);
    expect(resumed.rereads).toBe(1);

    const cut = new HashWhileSending(path, data.length);
    const first = await cut.piece(0, data.length);
    // The connection drops after 256 KiB were read: the server has less than was hashed.
    await first.read(Buffer.alloc(256 * 1024));
    const again = await send(cut, 50_000);
    expect(Buffer.concat(again).equals(data.subarray(50_000))).toBe(true);
    expect(cut.sha256).toBe(sha);
  });

  it('leaves a read that a cut piece finishes late out of the hash', async () => {
    const hashing = new HashWhileSending(path, data.length);
    const cut = await hashing.piece(0, data.length);
    await cut.read(Buffer.alloc(100_000));
    // The retry starts from what the server has; the cut request's last read lands after that.
    const retry = await hashing.piece(60_000, data.length);
    await cut.read(Buffer.alloc(100_000));
    await cut.close();
    const rest = [await bytesOf(retry), ...(await send(hashing, data.length - FINAL_PIECE))];
    expect(Buffer.concat(rest).equals(data.subarray(60_000))).toBe(true);
    expect(hashing.sha256).toBe(sha);
  });

  it('hashes a file smaller than the final piece in its one PATCH', async () => {
    await writeFile(join(dir, 'small'), 'hello');
    const hashing = new HashWhileSending(join(dir, 'small'), 5);
    expect((await bytesOf(await hashing.piece(0, 5))).toString()).toBe('hello');
    expect(hashing.sha256).toBe(createHash('sha256').update('hello').digest('hex'));
  });
});

describe('sampleHashFile', () => {
  it('is the shared sample hash of the file on disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nebula-sample-'));
    const data = randomBytes(2 * 1024 * 1024 + 3);
    await writeFile(join(dir, 's.bin'), data);
    expect(await sampleHashFile(join(dir, 's.bin'), data.length)).toBe(await sampleHash(data.length, async (r) => data.subarray(r.start, r.end + 1)));
    await rm(dir, { recursive: true, force: true });
  });
});
