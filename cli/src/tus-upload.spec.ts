import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResumeStore } from './resume-store';
import { startUpload, uploadFingerprint } from './tus-upload';

describe('uploadFingerprint', () => {
  const file = { absolute: '/home/me/a.mp4', size: 10, mtimeMs: 1700000000123.456, folder: '/videos', name: 'a.mp4' };

  it('names the server, the local file (path, size, mtime) and the target path', () => {
    expect(uploadFingerprint('http://nas:8080', file)).toBe('nebula\nhttp://nas:8080\n/home/me/a.mp4\n10\n1700000000123\n/videos/a.mp4');
    expect(uploadFingerprint('http://nas:8080', { ...file, folder: '/' })).toBe('nebula\nhttp://nas:8080\n/home/me/a.mp4\n10\n1700000000123\n/a.mp4');
  });

  it('changes when any of them does, so a changed file starts over', () => {
    const base = uploadFingerprint('http://nas:8080', file);
    expect(uploadFingerprint('http://nas:8080', { ...file, size: 11 })).not.toBe(base);
    expect(uploadFingerprint('http://nas:8080', { ...file, mtimeMs: 1700000001000 })).not.toBe(base);
    expect(uploadFingerprint('http://nas:8080', { ...file, folder: '/other' })).not.toBe(base);
    expect(uploadFingerprint('http://other:8080', file)).not.toBe(base);
  });
});

describe('startUpload, against a test double of the gateway (a minimal tus server on 127.0.0.1)', () => {
  let dir = '';
  let server: Server;
  let endpoint = '';
  const patches: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nebula-tus-upload-'));
    let received = 0;
    server = createServer((req, res) => {
      if (req.method === 'POST') {
        received = 0;
        res.writeHead(201, { Location: '/api/uploads/1', 'Tus-Resumable': '1.0.0' }).end();
      } else if (req.method === 'HEAD') {
        res.writeHead(200, { 'Upload-Offset': String(received), 'Tus-Resumable': '1.0.0' }).end();
      } else {
        patches.push(received);
        req.on('data', (chunk: Buffer) => (received += chunk.length));
        req.on('close', () => {
          if (!res.headersSent) res.writeHead(204, { 'Upload-Offset': String(received), 'Tus-Resumable': '1.0.0' }).end();
        });
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/uploads`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('fails at once, with the reason, when the file turns out shorter than when the upload began (no retries)', async () => {
    const path = join(dir, 'shrunk.bin');
    await writeFile(path, randomBytes(3 * 1024 * 1024));
    // Scanned at 8 MiB; 3 MiB by the time it is read.
    const file = { absolute: path, size: 8 * 1024 * 1024, mtimeMs: 1, folder: '/', name: 'shrunk.bin', sample: 's1:x', mime: 'application/octet-stream' };
    const started = Date.now();
    const upload = startUpload(endpoint.replace(/\/api\/uploads$/, ''), endpoint, new ResumeStore(join(dir, 'uploads.json')), file, {}, [0, 5_000, 5_000]);
    await expect(upload.done).rejects.toThrow(/shrunk\.bin is shorter than \d+ bytes: did it change during the upload\?/);
    expect(patches).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
