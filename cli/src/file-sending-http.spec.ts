import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readlink, rm, truncate, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FilePiece, FileSendingHttpStack, SEND_CHUNK } from './file-sending-http';

describe('FileSendingHttpStack', () => {
  let dir = '';
  let path = '';
  const data = randomBytes(5 * SEND_CHUNK + 4321);
  let server: Server;
  let url = '';
  /** What the server got in the last request. */
  let received: { method?: string; headers: IncomingMessage['headers']; sha256: string; length: number } = { headers: {}, sha256: '', length: 0 };
  /** A request this server takes in slowly, for aborting while it is under way. */
  let slow = false;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nebula-file-sending-'));
    path = join(dir, 'f.bin');
    await writeFile(path, data);
    server = createServer((req, res) => {
      const hash = createHash('sha256');
      let length = 0;
      req.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        length += chunk.length;
        if (slow) {
          req.pause();
          setTimeout(() => req.resume(), 50);
        }
      });
      req.on('end', () => {
        received = { method: req.method, headers: req.headers, sha256: hash.digest('hex'), length };
        res.writeHead(204, { 'Upload-Offset': String(length), 'X-Two': ['a', 'b'] });
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/uploads/x`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('sends a piece of a file byte for byte, with its length, and reports every byte sent', async () => {
    const request = new FileSendingHttpStack().createRequest('PATCH', url);
    request.setHeader('Upload-Offset', '1000');
    const progress: number[] = [];
    request.setProgressHandler((bytes) => progress.push(bytes));
    const seen = createHash('sha256');
    const response = await request.send(new FilePiece(path, 1000, data.length, (bytes) => seen.update(bytes)));

    const expected = createHash('sha256').update(data.subarray(1000)).digest('hex');
    expect(received).toMatchObject({ method: 'PATCH', sha256: expected, length: data.length - 1000 });
    expect(received.headers['content-length']).toBe(String(data.length - 1000));
    expect(received.headers['upload-offset']).toBe('1000');
    expect(seen.digest('hex')).toBe(expected);
    expect(progress.at(-1)).toBe(data.length - 1000);
    expect(response.getStatus()).toBe(204);
    expect(response.getHeader('Upload-Offset')).toBe(String(data.length - 1000));
    expect(response.getHeader('X-Two')).toBe('a, b');
  });

  it('sends a Buffer body (the final piece) and no body at all', async () => {
    const stack = new FileSendingHttpStack();
    await stack.createRequest('PATCH', url).send(Buffer.from('the end'));
    expect(received).toMatchObject({ length: 7, sha256: createHash('sha256').update('the end').digest('hex') });
    await stack.createRequest('HEAD', url).send(null);
    expect(received).toMatchObject({ method: 'HEAD', length: 0 });
  });

  /** How many descriptors this process holds open on `path` (Linux). */
  async function openOn(path: string): Promise<number> {
    const fds = await readdir('/proc/self/fd');
    const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
    return targets.filter((target) => target === path).length;
  }

  it('stops reading the file when the request is aborted, and closes it', async () => {
    // Larger than what the kernel's socket buffers and the chunks in flight hold together.
    const big = join(dir, 'big.bin');
    await writeFile(big, '');
    await truncate(big, 64 * SEND_CHUNK);
    slow = true;
    try {
      const request = new FileSendingHttpStack().createRequest('PATCH', url);
      let read = 0;
      const sending = request.send(new FilePiece(big, 0, 64 * SEND_CHUNK, (bytes) => (read += bytes.length)));
      const failed = expect(sending).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await request.abort();
      await failed;
      const atAbort = read;
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(read).toBe(atAbort);
      expect(read).toBeLessThan(32 * SEND_CHUNK);
      expect(await openOn(big)).toBe(0);
    } finally {
      slow = false;
    }
  });

  it('fails the request with the reason when the file turns out shorter than the piece', async () => {
    const short = join(dir, 'short.bin');
    await writeFile(short, data);
    const piece = new FilePiece(short, 0, data.length);
    await truncate(short, 2 * SEND_CHUNK);
    await expect(new FileSendingHttpStack().createRequest('PATCH', url).send(piece)).rejects.toThrow(/short\.bin is shorter than \d+ bytes: did it change during the upload\?/);
  });
});
