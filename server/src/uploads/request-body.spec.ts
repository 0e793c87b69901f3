import { randomBytes } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { requestBody } from './request-body';

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
