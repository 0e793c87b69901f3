import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSubject, UPLOAD_SHA256_HEADER, type EntryDto, type FolderListing, type NebulaEvent } from '@nebula/contract';
import { sampleHash } from '@nebula/shared';
import { createObjectStorage, type ObjectStorage } from '@nebula/shared/storage';
import { makeRandomFile, tempDir } from '../../ops/test-support/services';
import { GatewayMetrics } from '../src/metrics/gateway-metrics';
import { OBJECT_STORAGE } from '../src/storage/storage.module';
import { UPLOAD_RECORDS } from '../src/uploads/tus-store.factory';
import { startTestGateway, type TestGateway } from './gateway';

const MiB = 1024 * 1024;

async function makeFile(dir: string, name: string, size: number): Promise<{ path: string; sha256: string; size: number }> {
  const path = join(dir, name);
  return { path, sha256: await makeRandomFile(path, size), size };
}

function tusUpload(url: string, file: string, metadata: Record<string, string>, extra: Partial<tus.UploadOptions> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(createReadStream(file), {
      endpoint: `${url}/api/uploads`,
      uploadSize: statSync(file).size,
      chunkSize: 64 * MiB,
      retryDelays: [],
      metadata,
      onError: reject,
      onSuccess: () => resolve(upload.url!),
      ...extra,
    });
    upload.start();
  });
}

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

async function sha256OfUrl(url: string, init?: RequestInit): Promise<{ status: number; sha256: string; headers: Headers; bytes: number }> {
  const res = await fetch(url, init);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of res.body!) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { status: res.status, sha256: hash.digest('hex'), headers: res.headers, bytes };
}

// Both drivers, the s3 one against the run's Ceph RGW (ops/test-support/rgw-setup.ts).
for (const driver of ['fs', 's3'] as const) {
  describe(`files with the ${driver} driver`, () => {
    let gw: TestGateway;
    let dir: Awaited<ReturnType<typeof tempDir>>;
    let big: Awaited<ReturnType<typeof makeFile>>;
    let uploaded: EntryDto;

    beforeAll(async () => {
      [gw, dir] = await Promise.all([startTestGateway(driver), tempDir()]);
      big = await makeFile(dir.path, 'big.bin', 300 * MiB);
    });

    afterAll(async () => {
      await gw?.stop();
      await dir?.remove();
    });

    it('takes a large upload from tus-js-client, an outside tus client, into a new folder', async () => {
      await tusUpload(gw.url, big.path, { filename: 'Überraschung 🎬.bin', folder: '/videos/2026', sha256: big.sha256, filetype: 'application/octet-stream' });
      const listing = await json<FolderListing>(await fetch(`${gw.url}/api/files?path=/videos/2026`));
      expect(listing.path).toBe('/videos/2026');
      expect(listing.entries).toHaveLength(1);
      uploaded = listing.entries[0]!;
      expect(uploaded).toMatchObject({ kind: 'file', name: 'Überraschung 🎬.bin', path: '/videos/2026/Überraschung 🎬.bin', size: big.size, sha256: big.sha256, status: 'ready', media: { status: 'none', error: null } });
    });

    it('gives the original back byte for byte', async () => {
      const got = await sha256OfUrl(`${gw.url}/api/files/${uploaded.id}/content`);
      expect(got).toMatchObject({ status: 200, sha256: big.sha256, bytes: big.size });
      expect(got.headers.get('accept-ranges')).toBe('bytes');
      expect(got.headers.get('etag')).toBe(`"${big.sha256}"`);
      expect(got.headers.get('content-disposition')).toBe(`inline; filename="Uberraschung _.bin"; filename*=UTF-8''%C3%9Cberraschung%20%F0%9F%8E%AC.bin`);
    });

    it('serves ranges: first, middle, last, suffix and open', async () => {
      const original = createReadStream(big.path);
      const head = await new Promise<Buffer>((resolve) => original.once('data', (c) => resolve(c as Buffer)));
      original.destroy();
      const res = await fetch(`${gw.url}/api/files/${uploaded.id}/content`, { headers: { Range: 'bytes=0-99' } });
      expect(res.status).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes 0-99/${big.size}`);
      expect(Buffer.from(await res.arrayBuffer()).equals(head.subarray(0, 100))).toBe(true);

      const middle = await fetch(`${gw.url}/api/files/${uploaded.id}/content`, { headers: { Range: `bytes=${MiB + 5}-${MiB + 14}` } });
      expect(middle.headers.get('content-range')).toBe(`bytes ${MiB + 5}-${MiB + 14}/${big.size}`);
      expect((await middle.arrayBuffer()).byteLength).toBe(10);

      for (const [range, expected] of [
        [`bytes=${big.size - 1}-${big.size - 1}`, `bytes ${big.size - 1}-${big.size - 1}/${big.size}`],
        ['bytes=-500', `bytes ${big.size - 500}-${big.size - 1}/${big.size}`],
        [`bytes=${big.size - 1000}-`, `bytes ${big.size - 1000}-${big.size - 1}/${big.size}`],
      ] as const) {
        const r = await fetch(`${gw.url}/api/files/${uploaded.id}/content`, { headers: { Range: range } });
        expect(r.status).toBe(206);
        expect(r.headers.get('content-range')).toBe(expected);
        expect((await r.arrayBuffer()).byteLength).toBe(Number(expected.split('/')[0]!.split('-')[1]) - Number(expected.split(' ')[1]!.split('-')[0]) + 1);
      }
    });

    it.runIf(driver === 's3')('answers an original read again from the gateway\'s local copy (the s3 read cache), byte for byte', async () => {
      // The tests above read it several times: the copy is made (or being made) by now.
      const storage = gw.app.get<ObjectStorage & { settled(): Promise<void> }>(OBJECT_STORAGE);
      await storage.settled();
      const metrics = gw.app.get(GatewayMetrics);
      const fromCopy = async () => (await metrics.readCacheReads.get()).values.find((v) => v.labels.answered === 'copy')?.value ?? 0;
      const before = await fromCopy();
      const got = await sha256OfUrl(`${gw.url}/api/files/${uploaded.id}/content`);
      expect(got).toMatchObject({ status: 200, sha256: big.sha256, bytes: big.size });
      const res = await fetch(`${gw.url}/api/files/${uploaded.id}/content`, { headers: { Range: `bytes=${MiB + 5}-${MiB + 14}` } });
      expect(res.status).toBe(206);
      expect((await res.arrayBuffer()).byteLength).toBe(10);
      expect(await fromCopy()).toBe(before + 2);
      expect((await metrics.readCacheBytes.get()).values[0]!.value).toBe(big.size);
      expect(await readdir(join(gw.config.dataDir, 'read-cache', 'originals'))).toEqual([uploaded.id]);
    });

    it('answers 416 with the size for a range past the end', async () => {
      const res = await fetch(`${gw.url}/api/files/${uploaded.id}/content`, { headers: { Range: `bytes=${big.size}-` } });
      expect(res.status).toBe(416);
      expect(res.headers.get('content-range')).toBe(`bytes */${big.size}`);
      expect(await res.json()).toMatchObject({ code: 'range_not_satisfiable' });
    });

    it('sends the whole file when If-Range carries a stale ETag, and the range when it is current', async () => {
      const stale = await fetch(`${gw.url}/api/files/${uploaded.id}/content`, { headers: { Range: 'bytes=0-9', 'If-Range': '"0000"' }, method: 'HEAD' });
      expect(stale.status).toBe(200);
      expect(stale.headers.get('content-length')).toBe(String(big.size));
      const current = await fetch(`${gw.url}/api/files/${uploaded.id}/content`, { headers: { Range: 'bytes=0-9', 'If-Range': `"${big.sha256}"` } });
      expect(current.status).toBe(206);
      expect((await current.arrayBuffer()).byteLength).toBe(10);
      const cached = await fetch(`${gw.url}/api/files/${uploaded.id}/content`, { headers: { 'If-None-Match': `"${big.sha256}"` } });
      expect(cached.status).toBe(304);
    });

    it('refuses an upload whose bytes do not match the declared sha256, and keeps none of them', async () => {
      const small = await makeFile(dir.path, 'small.bin', 3 * MiB);
      const error = await tusUpload(gw.url, small.path, { filename: 'corrupt.bin', sha256: 'f'.repeat(64) }).catch((e: tus.DetailedError) => e);
      expect(error).toBeInstanceOf(Error);
      const res = (error as tus.DetailedError).originalResponse!;
      expect(res.getStatus()).toBe(460);
      expect(JSON.parse(res.getBody())).toMatchObject({ code: 'checksum_mismatch', message: expect.stringContaining(`have sha256 ${small.sha256}, not the declared ffff`) });
      const root = await json<FolderListing>(await fetch(`${gw.url}/api/files?path=/`));
      expect(root.entries.map((e) => e.name)).toEqual(['videos']);
      const storage = createObjectStorage(gw.config.storage);
      const left: string[] = [];
      for await (const o of storage.list('originals/')) left.push(o.key);
      expect(left).toEqual([`originals/${uploaded.id}`]);
      // tus' records (they hold names) went with the finished and the refused upload alike.
      const records: string[] = [];
      for await (const o of storage.list(UPLOAD_RECORDS)) records.push(o.key);
      records.push(...(await readdir(join(gw.config.dataDir, 'uploads', 'originals')).catch(() => [] as string[])));
      expect(records).toEqual([]);
    });

    it('checks a sha256 declared with the last byte (Upload-Sha256, a client that hashes while it sends) and keeps the sample hash', async () => {
      const file = await makeFile(dir.path, 'late.bin', 3 * MiB);
      const declareOnPatch = (sha256: string): Partial<tus.UploadOptions> => ({
        chunkSize: 2 * MiB,
        onBeforeRequest: (req) => {
          if (req.getMethod() === 'PATCH') req.setHeader(UPLOAD_SHA256_HEADER, sha256);
        },
      });
      const error = (await tusUpload(gw.url, file.path, { filename: 'late-wrong.bin' }, declareOnPatch('e'.repeat(64))).catch((e: tus.DetailedError) => e)) as tus.DetailedError;
      expect(error.originalResponse!.getStatus()).toBe(460);
      expect(JSON.parse(error.originalResponse!.getBody())).toMatchObject({ code: 'checksum_mismatch', message: expect.stringContaining(`have sha256 ${file.sha256}, not the declared eeee`) });
      expect((await fetch(`${gw.url}/api/files/lookup?path=/late-wrong.bin`)).status).toBe(404);

      await tusUpload(gw.url, file.path, { filename: 'late.bin' }, declareOnPatch(file.sha256));
      const stored = await json<EntryDto>(await fetch(`${gw.url}/api/files/lookup?path=/late.bin`));
      const bytes = await readFile(file.path);
      expect(stored).toMatchObject({ sha256: file.sha256, sample: await sampleHash(file.size, async (r) => bytes.subarray(r.start, r.end + 1)) });
      const storage = createObjectStorage(gw.config.storage);
      const left: string[] = [];
      for await (const o of storage.list('originals/')) left.push(o.key);
      expect(left.sort()).toEqual([`originals/${uploaded.id}`, `originals/${stored.id}`].sort());
      await fetch(`${gw.url}/api/files/${stored.id}`, { method: 'DELETE' });
    });

    it('refuses bad names with a 400 that names the rule', async () => {
      const small = await makeFile(dir.path, 'name.bin', 1000);
      for (const [name, rule] of [
        ['..', 'a name cannot be "." or ".."'],
        ['a\u0001b', 'a name cannot contain control characters'],
        ['x'.repeat(256), 'a name can be at most 255 bytes in UTF-8 (this one is 256)'],
      ] as const) {
        const error = (await tusUpload(gw.url, small.path, { filename: name }).catch((e: tus.DetailedError) => e)) as tus.DetailedError;
        expect(error.originalResponse!.getStatus()).toBe(400);
        expect(JSON.parse(error.originalResponse!.getBody())).toMatchObject({ code: 'invalid_name', message: expect.stringContaining(rule) });
      }
      const folder = await fetch(`${gw.url}/api/folders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: '/ok/../etc' }) });
      expect(folder.status).toBe(400);
      expect(await folder.json()).toEqual({ statusCode: 400, code: 'invalid_path', message: 'path "/ok/../etc" is refused: a path cannot contain "." or ".." segments' });
      const rename = await fetch(`${gw.url}/api/files/${uploaded.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'a/b' }) });
      expect(rename.status).toBe(400);
      expect(await rename.json()).toMatchObject({ code: 'invalid_name', message: 'name "a/b" is refused: a name cannot contain "/"' });
    });

    it('downloads an uploaded web page or SVG instead of showing it, so it cannot run script as the web UI', async () => {
      const page = join(dir.path, 'page.html');
      await writeFile(page, '<script>fetch("/api/files/x", { method: "DELETE" })</script>');
      await tusUpload(gw.url, page, { filename: 'page.html', filetype: 'text/html; charset=utf-8' });
      await tusUpload(gw.url, page, { filename: 'drawing.svg', filetype: 'image/svg+xml' });
      const listing = await json<FolderListing>(await fetch(`${gw.url}/api/files?path=/`));
      for (const name of ['page.html', 'drawing.svg']) {
        const entry = listing.entries.find((e) => e.name === name)!;
        const res = await fetch(`${gw.url}/api/files/${entry.id}/content`);
        expect(res.headers.get('content-disposition'), name).toMatch(/^attachment;/);
        expect(res.headers.get('content-security-policy'), name).toBe('sandbox');
        expect(res.headers.get('x-content-type-options'), name).toBe('nosniff');
        await res.arrayBuffer();
      }
      const video = await fetch(`${gw.url}/api/files/${uploaded.id}/content`, { method: 'HEAD' });
      expect(video.headers.get('content-disposition')).toMatch(/^inline;/);
      expect(video.headers.get('content-security-policy')).toBe('sandbox');
    });

    it('keeps one file per path', async () => {
      const small = await makeFile(dir.path, 'dup.bin', 1000);
      await tusUpload(gw.url, small.path, { filename: 'dup.bin' });
      const error = (await tusUpload(gw.url, small.path, { filename: 'dup.bin' }).catch((e: tus.DetailedError) => e)) as tus.DetailedError;
      expect(error.originalResponse!.getStatus()).toBe(409);
      expect(JSON.parse(error.originalResponse!.getBody())).toMatchObject({ code: 'already_exists' });
    });

    it('creates, renames, moves folders and files, and refuses to move a folder into itself', async () => {
      const post = (path: string, parents = false) => fetch(`${gw.url}/api/folders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path, parents }) });
      expect((await post('/a/b')).status).toBe(404);
      const b = await json<EntryDto>(await post('/a/b', true));
      expect(b).toMatchObject({ kind: 'folder', path: '/a/b', size: null, media: null });
      expect((await post('/a/b')).status).toBe(409);
      const a = await json<EntryDto>(await fetch(`${gw.url}/api/files/lookup?path=/a`));
      const intoItself = await fetch(`${gw.url}/api/files/${a.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ folder: '/a/b' }) });
      expect(intoItself.status).toBe(400);
      const moved = await json<EntryDto>(
        await fetch(`${gw.url}/api/files/${uploaded.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ folder: '/a/b', name: 'renamed.bin' }) }),
      );
      expect(moved.path).toBe('/a/b/renamed.bin');
      uploaded = moved;
      const events = await gw.app.get((await import('../src/events/events.repository')).EventsRepository).list({ limit: 100, subject: fileSubject(uploaded.id) });
      expect(events.map((e: NebulaEvent) => e.type)).toEqual(['upload.completed', 'file.moved']);
      expect(events[1]!.data).toEqual({ from: '/videos/2026/Überraschung 🎬.bin', to: '/a/b/renamed.bin' });
    });

    it('deletes a non-empty folder only when asked to recurse, and its files\u2019 bytes go with it', async () => {
      const a = await json<EntryDto>(await fetch(`${gw.url}/api/files/lookup?path=/a`));
      const refused = await fetch(`${gw.url}/api/files/${a.id}`, { method: 'DELETE' });
      expect(refused.status).toBe(409);
      expect(await refused.json()).toMatchObject({ code: 'folder_not_empty' });
      expect((await fetch(`${gw.url}/api/files/${a.id}?recursive=true`, { method: 'DELETE' })).status).toBe(204);
      expect((await fetch(`${gw.url}/api/files/${uploaded.id}/content`)).status).toBe(404);
      const storage = createObjectStorage(gw.config.storage);
      expect(await storage.stat(`originals/${uploaded.id}`)).toBeNull();
    });

    it('records uploads in the event log with the caller\u2019s trace id', async () => {
      const small = await makeFile(dir.path, 'traced.bin', 2000);
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      await tusUpload(gw.url, small.path, { filename: 'traced.bin', sha256: small.sha256 }, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
      const client = new pg.Client({ connectionString: gw.config.databaseUrl });
      await client.connect();
      const { rows } = await client.query(`SELECT type, data, trace_id FROM events WHERE type = 'upload.completed' AND data->>'path' = '/traced.bin'`);
      await client.end();
      expect(rows).toEqual([{ type: 'upload.completed', data: { path: '/traced.bin', size: 2000, sha256: small.sha256, mime: 'application/octet-stream' }, trace_id: traceId }]);
    });
  });
}
