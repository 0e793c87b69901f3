import { randomBytes } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { requestBody, StagedBody } from './request-body';
import { AlignedBlocks, BLOCKS_PER_UPLOAD, UploadBlocks } from './upload-file-writers';

const MiB = 1024 * 1024;

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((done) => (server ? server.close(done) : done(undefined)));
  server = undefined;
});

/** A real HTTP server on 127.0.0.1 that hands each request to `onRequest`. */
async function listen(onRequest: (req: IncomingMessage) => void): Promise<number> {
  server = createServer((req) => onRequest(req));
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
  return (server.address() as AddressInfo).port;
}

/** Sends `bytes` as a request body, as fast as the server takes them; `written()` is how many bytes the socket took so far. */
function send(port: number, bytes: Buffer): { written: () => number; request: ReturnType<typeof request> } {
  const req = request({ host: '127.0.0.1', port, method: 'PATCH', path: '/', headers: { 'content-length': bytes.length } });
  req.on('error', () => undefined);
  let at = 0;
  const pump = () => {
    while (at < bytes.length) {
      const piece = bytes.subarray(at, at + 64 * 1024);
      at += piece.length;
      if (!req.write(piece)) return void req.once('drain', pump);
    }
    req.end();
  };
  pump();
  return { written: () => req.socket?.bytesWritten ?? 0, request: req };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('requestBody', () => {
  it('gives the request’s bytes exactly, in order', async () => {
    const bytes = randomBytes(8 * MiB + 12_345);
    const received = new Promise<Buffer>((resolve, reject) => {
      void listen(async (req) => {
        const chunks: Uint8Array[] = [];
        try {
          for await (const chunk of requestBody(req)) chunks.push(chunk);
          resolve(Buffer.concat(chunks));
        } catch (error) {
          reject(error);
        }
      }).then((port) => send(port, bytes));
    });
    expect((await received).equals(bytes)).toBe(true);
  });

  it('pauses the socket while nobody reads: memory stays at about 1 MiB, not the size of the upload', async () => {
    const bytes = randomBytes(64 * MiB);
    let incoming: IncomingMessage | undefined;
    let body: ReadableStream<Uint8Array> | undefined;
    const port = await listen((req) => {
      incoming = req;
      body = requestBody(req);
    });
    const client = send(port, bytes);
    // Nothing reads the body for a while: the client can only fill the socket buffers.
    await sleep(500);
    expect(incoming!.isPaused()).toBe(true);
    expect(incoming!.readableLength).toBeLessThan(2 * MiB);
    const stalledAt = client.written();
    expect(stalledAt).toBeLessThan(24 * MiB);
    // Then a reader comes, and everything arrives.
    let total = 0;
    for await (const chunk of body!) total += chunk.length;
    expect(total).toBe(bytes.length);
  });

  it('fails the read when the client goes away mid-body', async () => {
    let body: ReadableStream<Uint8Array> | undefined;
    const port = await listen((req) => (body = requestBody(req)));
    const client = send(port, randomBytes(32 * MiB));
    await sleep(200);
    const reader = body!.getReader();
    await reader.read();
    client.request.destroy();
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return 'ended';
      })(),
    ).rejects.toThrow();
  });
});

describe('StagedBody', () => {
  /** One upload's blocks, of 1 MiB each here, and the pool they come from. */
  const uploadBlocks = () => {
    const pool = new AlignedBlocks(BLOCKS_PER_UPLOAD, MiB);
    return { pool, blocks: UploadBlocks.of(pool)! };
  };
  /** Reads a staged body as its upload's writer does: claims each chunk's block and frees it once "written". */
  async function readAll(body: StagedBody, blocks: UploadBlocks, placed: Array<{ at: number; length: number }> = []): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of body.stream) {
      const block = blocks.claim(chunk as Buffer);
      expect(block, 'every chunk is a lent block').toBeDefined();
      placed.push({ at: block!.base + block!.from, length: chunk.length });
      chunks.push(Buffer.from(chunk));
      blocks.free(block!);
    }
    return Buffer.concat(chunks);
  }

  it('copies the body into the upload’s blocks, placed as the file holds it from the offset the request names, one chunk per block', async () => {
    const bytes = randomBytes(5 * MiB + 777);
    const offset = 3 * MiB + 123; // a resumed upload's, not aligned
    const { blocks } = uploadBlocks();
    const placed: Array<{ at: number; length: number }> = [];
    const received = new Promise<Buffer>((resolve, reject) => {
      void listen((req) => void readAll(new StagedBody(req, blocks, offset), blocks, placed).then(resolve, reject)).then((port) => send(port, bytes));
    });
    expect((await received).equals(bytes)).toBe(true);
    // The first block starts at the 4 KiB page the offset falls in, so its aligned middle can go to
    // the disk as it is; each chunk is where the previous one ended.
    expect(placed[0]).toEqual({ at: offset, length: MiB - (offset % 4096) });
    placed.forEach((chunk, i) => i > 0 && expect(chunk.at).toBe(placed[i - 1]!.at + placed[i - 1]!.length));
    expect(placed.slice(1, -1).every((chunk) => chunk.length === MiB && chunk.at % 4096 === 0)).toBe(true);
  });

  it('pauses the socket while every block is full and none is freed: memory stays at the blocks, not the size of the upload', async () => {
    const bytes = randomBytes(64 * MiB);
    const { blocks } = uploadBlocks();
    let incoming: IncomingMessage | undefined;
    let body: StagedBody | undefined;
    const port = await listen((req) => {
      incoming = req;
      body = new StagedBody(req, blocks, 0);
    });
    const client = send(port, bytes);
    await sleep(500);
    expect(incoming!.isPaused()).toBe(true);
    expect(incoming!.readableLength).toBeLessThan(2 * MiB);
    expect(client.written()).toBeLessThan(24 * MiB);
    expect(blocks.take(0)).toBeUndefined(); // all four hold bytes
    const all = await readAll(body!, blocks);
    expect(all.equals(bytes)).toBe(true);
  });

  it('when the client goes away mid-body, hands on every byte that arrived, the block being filled too, and ends there', async () => {
    const { blocks } = uploadBlocks();
    let arrived = 0;
    let body: StagedBody | undefined;
    const port = await listen((req) => {
      req.on('data', (chunk: Buffer) => (arrived += chunk.length));
      body = new StagedBody(req, blocks, 0);
    });
    const bytes = randomBytes(32 * MiB);
    const client = send(port, bytes);
    await sleep(200);
    const read: Buffer[] = [];
    const reading = (async () => {
      for await (const chunk of body!.stream) {
        read.push(Buffer.from(chunk));
        blocks.free(blocks.claim(chunk as Buffer)!);
        if (read.length === 2) client.request.destroy();
      }
    })();
    await reading;
    const kept = Buffer.concat(read);
    expect(kept.length).toBe(arrived);
    expect(kept.length % MiB).not.toBe(0); // the last one was a block only part filled
    expect(kept.equals(bytes.subarray(0, kept.length))).toBe(true);
  });

  it('once detached, copies no more of the request’s bytes into the blocks, which can go back to the pool', async () => {
    const { pool, blocks } = uploadBlocks();
    let body: StagedBody | undefined;
    const port = await listen((req) => (body = new StagedBody(req, blocks, 0)));
    const client = send(port, randomBytes(32 * MiB));
    await sleep(200);
    // A writer takes one block; the others are full, and the socket waits for a free one.
    const reader = body!.stream.getReader();
    const first = blocks.claim((await reader.read()).value as Buffer)!;
    // The request's server is done with it (tus answered without reading the rest): the blocks go back.
    body!.detach();
    blocks.release();
    const memory = pool.take(BLOCKS_PER_UPLOAD)!;
    expect(memory).toHaveLength(BLOCKS_PER_UPLOAD);
    for (const block of memory) block.fill(7);
    // The writer's write of its block settles and frees it: nothing lands in the memory any more.
    blocks.free(first);
    await sleep(300);
    expect(memory.every((block) => block.every((byte) => byte === 7))).toBe(true);
    client.request.destroy();
  });
});
