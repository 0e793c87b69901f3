import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { S3Store } from '@tus/s3-store';
import { Upload } from '@tus/utils';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { UPLOADS_PATH, type EntryDto } from '@nebula/contract';
import { createObjectStorage } from '@nebula/shared/storage';
import { createS3User, removeBucket, s3Client, unfinishedUploads } from '../../ops/test-support/s3-server';
import { makeRandomFile, tempDir } from '../../ops/test-support/services';
import { createTusStore, S3_PART_SIZE, S3_PARTS_IN_FLIGHT, UPLOAD_RECORDS } from '../src/uploads/tus-store.factory';
import { UploadsService } from '../src/uploads/uploads.service';
import { startTestGateway, type TestGateway } from './gateway';
import { TcpHop } from '../../ops/test-support/tcp-hop';

/**
 * The tus upload path on both drivers, through the real gateway: @tus/file-store on fs and
 * @tus/s3-store on s3, the s3 one against the run's Ceph RGW. Each case is one a user meets: a
 * connection cut mid-PATCH, an upload given up, an upload abandoned until it expires.
 */

const MiB = 1024 * 1024;
const TUS = { 'Tus-Resumable': '1.0.0' };

for (const driver of ['fs', 's3'] as const) {
  describe(`tus uploads on the ${driver} driver`, () => {
    let gw: TestGateway;
    let dir: Awaited<ReturnType<typeof tempDir>>;

    beforeAll(async () => {
      [gw, dir] = await Promise.all([startTestGateway(driver), tempDir()]);
    });

    afterAll(async () => {
      await gw?.stop();
      await dir?.remove();
    });

    /** What an unfinished upload can leave behind: unfinished multipart uploads and objects (s3), or files (fs). */
    async function leftovers(id: string): Promise<string[]> {
      const storage = gw.config.storage;
      if (storage.driver === 's3') {
        const objects: string[] = [];
        for (const prefix of [`originals/${id}`, `${UPLOAD_RECORDS}originals/${id}`]) {
          for await (const o of s3Client().listObjectsV2(storage.bucket, prefix, true)) objects.push((o as { name: string }).name);
        }
        return [...(await unfinishedUploads(storage.bucket, `originals/${id}`)).map((key) => `unfinished ${key}`), ...objects];
      }
      if (storage.driver === 'gateway') throw new Error('a gateway never runs on the gateway driver');
      const names = async (folder: string) => (await readdir(folder).catch(() => [] as string[])).filter((n) => n.startsWith(id)).map((n) => join(folder, n));
      return [...(await names(join(storage.root, 'originals'))), ...(await names(join(gw.config.dataDir, 'uploads', 'originals')))];
    }

    it('takes a 300 MB upload in several PATCHes, one cut off mid-body, resumed from the offset a HEAD gives', { timeout: 300_000 }, async () => {
      const size = 300 * MiB;
      const path = join(dir.path, 'film.bin');
      const sha256 = await makeRandomFile(path, size);
      const url = await createUpload(gw.url, size, { filename: 'film.bin', sha256 });

      expect(await patch(url, path, 0, 100 * MiB)).toBe(100 * MiB);
      // The second PATCH dies 50 MB into its body, as a dropped Wi-Fi link would cut it.
      await patchCutOff(url, path, 100 * MiB, 200 * MiB, 50 * MiB);

      const offset = await headOffset(url);
      // Whatever the store kept, it says so, and the rest goes from there: nothing is lost or doubled.
      expect(offset).toBeGreaterThanOrEqual(100 * MiB);
      expect(offset).toBeLessThanOrEqual(150 * MiB);
      let at = offset;
      for (const end of [220 * MiB, size]) at = await patch(url, path, at, end);
      expect(at).toBe(size);

      const entry = (await (await fetch(`${gw.url}/api/files/lookup?path=/film.bin`)).json()) as EntryDto;
      expect(entry).toMatchObject({ status: 'ready', size, sha256 });
      const res = await fetch(`${gw.url}/api/files/${entry.id}/content`);
      const back = createHash('sha256');
      for await (const chunk of res.body!) back.update(chunk);
      expect(back.digest('hex')).toBe(sha256);
      if (gw.config.storage.driver === 's3') expect(await unfinishedUploads(gw.config.storage.bucket)).toEqual([]);
    });

    it('terminating an unfinished upload removes its bytes and frees its name', async () => {
      const path = join(dir.path, 'given-up.bin');
      await makeRandomFile(path, 40 * MiB);
      const url = await createUpload(gw.url, 40 * MiB, { filename: 'given-up.bin' });
      // Past one 16 MiB part: on s3 a multipart upload with parts exists now.
      expect(await patch(url, path, 0, 20 * MiB)).toBe(20 * MiB);
      const id = url.split('/').pop()!;
      expect(await leftovers(id)).not.toEqual([]);

      expect((await fetch(url, { method: 'DELETE', headers: TUS })).status).toBe(204);

      expect((await fetch(url, { method: 'HEAD', headers: TUS })).status).toBeGreaterThanOrEqual(404);
      expect(await leftovers(id)).toEqual([]);
      // The name is freed just after the answer to DELETE.
      await expect.poll(async () => (await fetch(`${gw.url}/api/files/lookup?path=/given-up.bin`)).status).toBe(404);
    });

    it('an abandoned upload past its expiry loses its bytes (its multipart upload too) and frees its name', async () => {
      const path = join(dir.path, 'abandoned.bin');
      await makeRandomFile(path, 40 * MiB);
      const url = await createUpload(gw.url, 40 * MiB, { filename: 'abandoned.bin' });
      expect(await patch(url, path, 0, 20 * MiB)).toBe(20 * MiB);
      const id = url.split('/').pop()!;
      // Two days ago, as far as the gateway's records go.
      const db = new pg.Client({ connectionString: gw.config.databaseUrl });
      await db.connect();
      await db.query(`UPDATE entries SET created_at = now() - interval '2 days' WHERE id = $1`, [id]);
      await db.end();

      expect(await gw.app.get(UploadsService).removeExpired()).toBe(1);

      expect(await leftovers(id)).toEqual([]);
      expect((await fetch(`${gw.url}/api/files/lookup?path=/abandoned.bin`)).status).toBe(404);
    });

    // The gateway's janitor expires uploads it knows of (above); deleteExpired is @tus/s3-store's own
    // sweep of multipart uploads past their age, whoever started them. (@tus/file-store's lists only
    // top-level records, and Nebula's upload ids live under originals/, so fs relies on the janitor.)
    it.runIf(driver === 's3')("the store's own deleteExpired removes uploads past their expiry, unfinished multipart uploads included", async () => {
      const store = createTusStore(gw.config, 1);
      const id = `originals/expiring-${driver}`;
      await store.create(new Upload({ id, size: 40 * MiB, offset: 0, metadata: {} }));
      await store.write(Readable.from(chunks(20 * MiB)), id, 0);
      await new Promise((resolve) => setTimeout(resolve, 20));

      await store.deleteExpired();

      expect(await leftovers('expiring-')).toEqual([]);
    });
  });
}

describe('tus uploads when S3 refuses or stops answering', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => {
    await dir?.remove();
  });

  it('an upload S3 refuses (the store is full) fails at once with 507, the S3 error code and no endpoint', async () => {
    const full = await createS3User('full-uploads', { maxBytes: 4 * MiB });
    const gw = await startTestGateway('s3', { S3_ACCESS_KEY: full.accessKey, S3_SECRET_KEY: full.secretKey });
    try {
      await createObjectStorage(gw.config.storage).check(); // makes the bucket, as the health check does
      const path = join(dir.path, 'too-big.bin');
      await makeRandomFile(path, 8 * MiB);
      const url = await createUpload(gw.url, 8 * MiB, { filename: 'too-big.bin' });

      const res = await patchResponse(url, path, 0, 8 * MiB);

      expect(res.status).toBe(507);
      const body = JSON.parse(res.body) as { code: string; message: string; s3Code: string };
      expect(body).toMatchObject({ code: 'storage_refused', s3Code: expect.stringMatching(/^\w+$/) });
      expect(body.message).toBe(`object storage is full (${body.s3Code}) when trying to store the upload: free space there, or raise the quota of the S3 user`);
      expect(res.body).not.toContain('127.0.0.1');
      expect(await gw.app.get(UploadsService).removeExpired()).toBe(0);
    } finally {
      const bucket = gw.config.storage.driver === 's3' ? gw.config.storage.bucket : '';
      await gw.stop();
      await removeBucket(s3Client(full), bucket);
    }
  });

  it('an upload whose S3 server stops answering fails with 503 after the request timeout instead of hanging', { timeout: 120_000 }, async () => {
    const proxy = await new TcpHop({ port: Number(new URL(inject('s3').endpoint).port) }).open();
    const viaProxy = await startTestGateway('s3', { S3_ENDPOINT: proxy.endpoint, S3_REQUEST_TIMEOUT_SECONDS: '2' });
    try {
      await createObjectStorage(viaProxy.config.storage).check();
      const path = join(dir.path, 'stalled.bin');
      await makeRandomFile(path, 20 * MiB);
      const url = await createUpload(viaProxy.url, 20 * MiB, { filename: 'stalled.bin' });

      proxy.freeze();
      const res = await patchResponse(url, path, 0, 20 * MiB);

      expect(res.status).toBe(503);
      expect(JSON.parse(res.body)).toMatchObject({ code: 'storage_unavailable' });
      expect(res.body).not.toContain('127.0.0.1');
    } finally {
      proxy.thaw();
      await viaProxy.stop();
      await proxy.cut();
    }
  });
  it('an S3 server slower than the client holds the client back, instead of piling the upload up on the gateway', { timeout: 120_000 }, async () => {
    const proxy = await new TcpHop({ port: Number(new URL(inject('s3').endpoint).port) }).open();
    const viaProxy = await startTestGateway('s3', { S3_ENDPOINT: proxy.endpoint, S3_REQUEST_TIMEOUT_SECONDS: '30' });
    const size = 60 * S3_PART_SIZE;
    const req = http.request(await createUpload(viaProxy.url, size, { filename: 'held-back.bin' }), {
      method: 'PATCH',
      headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream', 'Content-Length': String(size) },
    });
    req.on('error', () => undefined);
    try {
      // The client sends as fast as the gateway takes its bytes.
      const block = randomBytes(MiB);
      let queued = 0;
      const pump = () => {
        while (queued < size) {
          queued += block.length;
          if (!req.write(block)) return void req.once('drain', pump);
        }
      };
      pump();
      const sent = () => req.socket?.bytesWritten ?? 0;
      await expect.poll(sent, { interval: 50, timeout: 30_000 }).toBeGreaterThan(2 * S3_PART_SIZE);
      // Then the S3 server hangs: no part it is sent gets through.
      proxy.freeze();
      const atFreeze = sent();
      let last = -1;
      await expect
        .poll(
          () => {
            const now = sent();
            const still = now === last;
            last = now;
            return still;
          },
          { interval: 1000, timeout: 60_000 },
        )
        .toBe(true);
      // The gateway stopped taking bytes once S3_PARTS_IN_FLIGHT parts waited for S3 (each a file
      // in its temporary folder), plus what socket buffers hold; not all 60 parts (@tus/s3-store's
      // default allows 60 at once). Parts sent before the freeze may have gone through.
      expect(sent()).toBeGreaterThanOrEqual(S3_PARTS_IN_FLIGHT * S3_PART_SIZE);
      expect(sent()).toBeLessThan(atFreeze + (S3_PARTS_IN_FLIGHT + 1) * S3_PART_SIZE);
    } finally {
      req.destroy();
      proxy.thaw();
      await proxy.cut();
      await viaProxy.stop();
    }
  });
});

describe('s3 part files when a PATCH breaks off or S3 loses parts', () => {
  it('keeps every byte that arrived, the part being filled included, so the client resumes after them', { timeout: 60_000 }, async () => {
    const gw = await startTestGateway('s3');
    const parts = await tempDir();
    try {
      const store = createTusStore(gw.config, 60_000, parts.path);
      const id = 'originals/cut-mid-part';
      const size = 3 * S3_PART_SIZE;
      await store.create(new Upload({ id, size, offset: 0, metadata: {} }));
      // One part and 4.5 MiB of the next (under S3's 5 MiB minimum for a part), then the client goes away.
      const cutAt = S3_PART_SIZE + 4.5 * MiB;

      await expect(store.write(body(0, size, cutAt), id, 0)).rejects.toThrow('client went away');

      expect((await store.getUpload(id)).offset).toBe(cutAt);
      expect(await readdir(parts.path)).toEqual([]);
      expect(await store.write(body(cutAt, size), id, cutAt)).toBe(size);
      expect(await sha256OfObject(gw, id)).toBe(await sha256OfBody(size));
    } finally {
      await gw.stop();
      await parts.remove();
    }
  });

  it('a PATCH cut off while its parts wait for a stalled S3 leaves no part file behind, and every byte that arrived is kept', { timeout: 120_000 }, async () => {
    await withStoreBehindHop('30', async ({ proxy, gw, store, parts }) => {
      const id = 'originals/cut-while-waiting';
      const size = (S3_PARTS_IN_FLIGHT + 4) * S3_PART_SIZE;
      await store.create(new Upload({ id, size, offset: 0, metadata: {} }));
      const cut = body(0, size);
      const written = store.write(cut, id, 0);
      written.catch(() => undefined);
      // S3 stops reading once the first part is being cut.
      await expect.poll(async () => (await readdir(parts.path)).length, { interval: 5 }).toBeGreaterThan(0);
      proxy.stall();
      // The store stops taking bytes: every part it may hold waits for S3 as a file, and the next one waits for room.
      let last = -1;
      await expect
        .poll(
          () => {
            const still = cut.handedOut() === last;
            last = cut.handedOut();
            return still;
          },
          { interval: 500, timeout: 60_000 },
        )
        .toBe(true);
      expect(await readdir(parts.path)).toHaveLength(S3_PARTS_IN_FLIGHT);
      // What the store took: the body's bytes so far, less what still waits in its buffer.
      const taken = cut.handedOut() - cut.readableLength;
      cut.destroy(new Error('client went away'));
      proxy.unstall();

      await expect(written).rejects.toThrow('client went away');
      expect(await readdir(parts.path)).toEqual([]);
      const offset = (await store.getUpload(id)).offset;
      expect(offset).toBe(taken);
      expect(await store.write(body(offset, size), id, offset)).toBe(size);
      expect(await sha256OfObject(gw, id)).toBe(await sha256OfBody(size));
    });
  });

  it('an upload whose parts S3 lost while later ones got through resumes from the first gap, byte-exact', { timeout: 120_000 }, async () => {
    await withStoreBehindHop('5', async ({ proxy, gw, store, parts }) => {
      const id = 'originals/lost-parts';
      const size = (S3_PARTS_IN_FLIGHT + 8) * S3_PART_SIZE + 3 * MiB;
      await store.create(new Upload({ id, size, offset: 0, metadata: {} }));
      const first = body(0, size);
      const written = store.write(first, id, 0);
      written.catch(() => undefined);
      // S3 swallows what it is sent for a moment, while parts are on their way; the parts after get through.
      await expect.poll(async () => (await readdir(parts.path)).length, { interval: 5 }).toBeGreaterThan(2);
      proxy.freeze();
      await new Promise((resolve) => setTimeout(resolve, 300));
      proxy.thaw();
      await written.catch(() => undefined);

      // The client asks where to go on, and sends the rest: first up to 6 MiB (over S3's 5 MiB
      // minimum) into the first part S3 holds past the gap (as @tus/s3-store lists them), a short
      // part that lands where S3 already has those bytes; then everything left.
      let offset = (await store.getUpload(id)).offset;
      expect(offset).toBeLessThan(size);
      const held = (await S3Store.prototype['retrieveParts'].call(store, id)).map((part) => part.PartNumber!);
      const afterGap = held.find((n) => n > offset / S3_PART_SIZE + 1) ?? offset / S3_PART_SIZE + 2;
      await store.write(body(offset, Math.min(size, (afterGap - 1) * S3_PART_SIZE + 6 * MiB)), id, offset);
      offset = (await store.getUpload(id)).offset;
      if (offset < size) expect(await store.write(body(offset, size), id, offset)).toBe(size);
      expect(await sha256OfObject(gw, id)).toBe(await sha256OfBody(size));
      expect(await readdir(parts.path)).toEqual([]);
    });
  });
});

describe('s3 parts when S3 drops its connections for a moment', () => {
  it('a part whose connection S3 dropped is sent again from its file, and the PATCH goes through', { timeout: 120_000 }, async () => {
    await withStoreBehindHop('30', async ({ proxy, gw, store, parts }) => {
      const id = 'originals/dropped-connections';
      const size = 6 * S3_PART_SIZE;
      await store.create(new Upload({ id, size, offset: 0, metadata: {} }));
      const written = store.write(body(0, size), id, 0);
      written.catch(() => undefined);
      // S3 stops reading while parts are on their way, then goes away (those connections reset,
      // new ones refused), and comes back before the first retry.
      await expect.poll(async () => (await readdir(parts.path)).length, { interval: 5 }).toBeGreaterThan(0);
      proxy.stall();
      await expect.poll(async () => (await readdir(parts.path)).length, { interval: 5 }).toBeGreaterThan(2);
      await proxy.cut();
      proxy.unstall();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await proxy.open();

      expect(await written).toBe(size);
      expect(await sha256OfObject(gw, id)).toBe(await sha256OfBody(size));
      expect(await readdir(parts.path)).toEqual([]);
    });
  });
});

/**
 * The s3 tus store of a gateway whose S3 is reached through a TcpHop (`proxy`), with its part files
 * in a folder of the test's own (`parts`).
 */
async function withStoreBehindHop(
  requestTimeoutSeconds: string,
  run: (context: { proxy: TcpHop; gw: TestGateway; store: ReturnType<typeof createTusStore>; parts: { path: string } }) => Promise<void>,
): Promise<void> {
  const proxy = await new TcpHop({ port: Number(new URL(inject('s3').endpoint).port) }).open();
  const gw = await startTestGateway('s3', { S3_ENDPOINT: proxy.endpoint, S3_REQUEST_TIMEOUT_SECONDS: requestTimeoutSeconds });
  const parts = await tempDir();
  try {
    await createObjectStorage(gw.config.storage).check();
    await run({ proxy, gw, store: createTusStore(gw.config, 60_000, parts.path), parts });
  } finally {
    proxy.thaw();
    proxy.unstall();
    await gw.stop();
    await proxy.cut();
    await parts.remove();
  }
}

/** The byte at offset p of a test upload: its MiB's number, so a byte out of place changes the hash. */
const blockAt = (at: number) => Buffer.alloc(MiB, (Math.floor(at / MiB) * 7 + 1) & 0xff);

/**
 * A PATCH body: bytes [from, to) of the test upload, handed out as the store asks for them; with
 * `cutAt`, it breaks off (the client went away) once the store has taken the bytes up to there.
 */
function body(from: number, to: number, cutAt = to): Readable & { handedOut: () => number } {
  let at = from;
  const readable = new Readable({
    read() {
      if (at >= cutAt && cutAt < to) return void this.destroy(new Error('client went away'));
      if (at >= to) return void this.push(null);
      const end = Math.min(to, cutAt, (Math.floor(at / MiB) + 1) * MiB);
      const block = blockAt(at);
      this.push(block.subarray(at % MiB, at % MiB + (end - at)));
      at = end;
    },
  });
  return Object.assign(readable, { handedOut: () => at });
}

async function sha256OfBody(size: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of body(0, size)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function sha256OfObject(gw: TestGateway, key: string): Promise<string> {
  const storage = gw.config.storage;
  if (storage.driver !== 's3') throw new Error('an s3 gateway');
  const hash = createHash('sha256');
  for await (const chunk of await s3Client().getObject(storage.bucket, key)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function createUpload(base: string, size: number, metadata: Record<string, string>): Promise<string> {
  const res = await fetch(`${base}${UPLOADS_PATH}`, {
    method: 'POST',
    headers: {
      ...TUS,
      'Upload-Length': String(size),
      'Upload-Metadata': Object.entries(metadata)
        .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
        .join(','),
    },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return new URL(res.headers.get('location')!, base).toString();
}

async function headOffset(url: string): Promise<number> {
  const res = await fetch(url, { method: 'HEAD', headers: TUS });
  expect(res.status).toBe(200);
  return Number(res.headers.get('upload-offset'));
}

/** Sends bytes [start, end) of the file in one PATCH; returns the new offset. */
async function patch(url: string, path: string, start: number, end: number): Promise<number> {
  const res = await patchResponse(url, path, start, end);
  expect(res.status, res.body).toBe(204);
  return Number(res.headers['upload-offset']);
}

function patchResponse(url: string, path: string, start: number, end: number): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'PATCH',
      headers: { ...TUS, 'Upload-Offset': String(start), 'Content-Type': 'application/offset+octet-stream', 'Content-Length': String(end - start) },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    const file = createReadStream(path, { start, end: end - 1 });
    // A server that answers early (a refusal) stops reading: stop sending then.
    file.on('error', reject);
    file.pipe(req);
  });
}

/** A PATCH of [start, end) whose connection is cut after `after` bytes of the body. */
function patchCutOff(url: string, path: string, start: number, end: number, after: number): Promise<void> {
  return new Promise((resolve) => {
    const req = http.request(url, {
      method: 'PATCH',
      headers: { ...TUS, 'Upload-Offset': String(start), 'Content-Type': 'application/offset+octet-stream', 'Content-Length': String(end - start) },
    });
    req.on('error', () => resolve());
    req.on('response', () => resolve());
    let sent = 0;
    const file = createReadStream(path, { start, end: start + after - 1 });
    file.on('data', (chunk) => {
      sent += chunk.length;
      if (!req.write(chunk)) file.pause();
    });
    req.on('drain', () => file.resume());
    file.on('end', () => {
      expect(sent).toBe(after);
      req.destroy();
      resolve();
    });
  });
}

function* chunks(size: number): Generator<Buffer> {
  for (let at = 0; at < size; at += MiB) yield Buffer.alloc(Math.min(MiB, size - at), at / MiB);
}
