import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSubject, type FolderListing, type NebulaEvent } from '@nebula/contract';
import { DIRECT_POOL_BLOCKS, directBlocks } from '../src/uploads/upload-file-writers';
import { UploadsService } from '../src/uploads/uploads.service';
import { startTestGateway, type TestGateway } from './gateway';

const TUS = { 'Tus-Resumable': '1.0.0' };

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** POST /api/uploads: a new upload of `length` bytes named `name`; its id (the file's id). */
async function create(gw: TestGateway, name: string, length: number, extra: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gw.url}/api/uploads`, { method: 'POST', headers: { ...TUS, 'Upload-Length': String(length), 'Upload-Metadata': `filename ${b64(name)}`, ...extra } });
}

function idOf(res: Response): string {
  const location = res.headers.get('location');
  expect(location, `no Location (status ${res.status})`).toMatch(/\/api\/uploads\/[0-9a-f-]{36}$/);
  return location!.split('/').pop()!;
}

function patch(gw: TestGateway, id: string, offset: number, body: Buffer): Promise<Response> {
  return fetch(`${gw.url}/api/uploads/${id}`, {
    method: 'PATCH',
    headers: { ...TUS, 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' },
    body: new Uint8Array(body),
  });
}

async function uploadWhole(gw: TestGateway, name: string, bytes: Buffer): Promise<string> {
  const created = await create(gw, name, bytes.length);
  expect(created.status).toBe(201);
  const id = idOf(created);
  const done = await patch(gw, id, 0, bytes);
  expect(done.status).toBe(204);
  return id;
}

async function listing(gw: TestGateway, path = '/'): Promise<FolderListing> {
  return (await (await fetch(`${gw.url}/api/files?path=${encodeURIComponent(path)}`)).json()) as FolderListing;
}

async function eventsOf(gw: TestGateway, id: string): Promise<string[]> {
  const events = (await (await fetch(`${gw.url}/api/events?subject=${fileSubject(id)}`)).json()) as NebulaEvent[];
  return events.map((e) => e.type);
}

function recordsDir(gw: TestGateway): string {
  return join(gw.config.dataDir, 'uploads', 'originals');
}

describe('tus hardening (fs driver): termination, a second finish, records, size limits', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway('fs', { NEBULA_MAX_UPLOAD_SIZE: '1M' });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('refuses to terminate a finished upload (409, JSON) and the file loses nothing', async () => {
    const bytes = randomBytes(50_000);
    const id = await uploadWhole(gw, 'keep.bin', bytes);
    const res = await fetch(`${gw.url}/api/uploads/${id}`, { method: 'DELETE', headers: TUS });
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ statusCode: 409, code: 'upload_finished' });
    const got = await fetch(`${gw.url}/api/files/${id}/content`);
    expect(got.status).toBe(200);
    expect(createHash('sha256').update(Buffer.from(await got.arrayBuffer())).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect((await listing(gw)).entries.map((e) => [e.name, e.status])).toContainEqual(['keep.bin', 'ready']);
    expect(await eventsOf(gw, id)).not.toContain('file.deleted');
  });

  it('stores a file sent in PATCHes from unaligned offsets byte-exact, one naming a wrong offset refused between them, and gives every staging block back', async () => {
    const bytes = randomBytes(900_001);
    const id = idOf(await create(gw, 'pieces.bin', bytes.length));
    expect((await patch(gw, id, 0, bytes.subarray(0, 300_001))).status).toBe(204);
    // The body of this one is copied into staging blocks placed from 299_000, and never read: tus refuses it.
    const wrong = await patch(gw, id, 299_000, bytes.subarray(299_000, 700_000));
    expect(wrong.status).toBe(409);
    expect((await patch(gw, id, 300_001, bytes.subarray(300_001, 612_345))).status).toBe(204);
    expect((await patch(gw, id, 612_345, bytes.subarray(612_345))).status).toBe(204);
    const got = Buffer.from(await (await fetch(`${gw.url}/api/files/${id}/content`)).arrayBuffer());
    expect(got.equals(bytes)).toBe(true);
    const all = directBlocks.take(DIRECT_POOL_BLOCKS);
    expect(all).toHaveLength(DIRECT_POOL_BLOCKS);
    directBlocks.give(all!);
  });

  it('keeps every byte a PATCH brought before its client went away, and the upload goes on from there', async () => {
    const bytes = randomBytes(900_000);
    const id = idOf(await create(gw, 'cut.bin', bytes.length));
    const cutAt = 700_001;
    const url = new URL(`${gw.url}/api/uploads/${id}`);
    const req = httpRequest(url, {
      method: 'PATCH',
      headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream', 'Content-Length': String(bytes.length) },
    });
    req.on('error', () => undefined);
    req.write(bytes.subarray(0, cutAt));
    await new Promise((done) => setTimeout(done, 500)); // the gateway has read them all
    req.destroy();
    await expect
      .poll(async () => (await fetch(url, { method: 'HEAD', headers: TUS })).headers.get('upload-offset'), { timeout: 10_000 })
      .toBe(String(cutAt));
    expect((await patch(gw, id, cutAt, bytes.subarray(cutAt))).status).toBe(204);
    expect(Buffer.from(await (await fetch(`${gw.url}/api/files/${id}/content`)).arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('still terminates an unfinished upload: its bytes, record and name go', async () => {
    const created = await create(gw, 'abandoned.bin', 1000);
    const id = idOf(created);
    expect((await patch(gw, id, 0, randomBytes(400))).status).toBe(204);
    const res = await fetch(`${gw.url}/api/uploads/${id}`, { method: 'DELETE', headers: TUS });
    expect(res.status).toBe(204);
    expect((await listing(gw)).entries.map((e) => e.name)).not.toContain('abandoned.bin');
    expect(existsSync(join(recordsDir(gw), `${id}.json`))).toBe(false);
    expect(existsSync(join(gw.config.storage.driver === 'fs' ? gw.config.storage.root : '', 'originals', id))).toBe(false);
    // The name is free again.
    expect((await create(gw, 'abandoned.bin', 10)).status).toBe(201);
  });

  it('answers HEAD on a finished upload as complete, and an empty PATCH at its end changes nothing', async () => {
    const id = await uploadWhole(gw, 'clip.mp4', randomBytes(20_000));
    expect(await eventsOf(gw, id)).toEqual(['upload.completed', 'media.queued']);
    const head = await fetch(`${gw.url}/api/uploads/${id}`, { method: 'HEAD', headers: TUS });
    expect(head.status).toBe(200);
    expect([head.headers.get('upload-offset'), head.headers.get('upload-length')]).toEqual(['20000', '20000']);
    const again = await patch(gw, id, 20_000, Buffer.alloc(0));
    expect(again.status).toBe(204);
    expect(again.headers.get('upload-offset')).toBe('20000');
    expect(await eventsOf(gw, id)).toEqual(['upload.completed', 'media.queued']);
    const more = await patch(gw, id, 20_000, randomBytes(10));
    expect(more.status).toBe(409);
    expect(await more.json()).toMatchObject({ code: 'upload_finished' });
  });

  it('removes the tus record (it holds the file name) once the upload is finished', async () => {
    const id = await uploadWhole(gw, 'secret name.bin', randomBytes(1000));
    // POST_FINISH removes it right after the answer.
    await expect.poll(() => existsSync(join(recordsDir(gw), `${id}.json`))).toBe(false);
    // creation-with-upload finishing in the POST itself.
    const one = await fetch(`${gw.url}/api/uploads`, {
      method: 'POST',
      headers: { ...TUS, 'Upload-Length': '5', 'Upload-Metadata': `filename ${b64('one-shot.txt')}`, 'Content-Type': 'application/offset+octet-stream' },
      body: 'hello',
    });
    expect(one.status).toBe(201);
    const oneId = idOf(one);
    await expect.poll(() => existsSync(join(recordsDir(gw), `${oneId}.json`))).toBe(false);
    expect(await (await fetch(`${gw.url}/api/files/${oneId}/content`)).text()).toBe('hello');
  });

  it('removes an expired upload with its record, and stray records of uploads that ended long ago', async () => {
    const id = idOf(await create(gw, 'left behind.bin', 1000));
    expect((await patch(gw, id, 0, randomBytes(10))).status).toBe(204);
    expect(existsSync(join(recordsDir(gw), `${id}.json`))).toBe(true);
    const db = new pg.Client({ connectionString: gw.config.databaseUrl });
    await db.connect();
    try {
      await db.query(`UPDATE entries SET created_at = now() - interval '3 days' WHERE id = $1`, [id]);
    } finally {
      await db.end();
    }
    // Records an older Nebula left: one of a finished file, one of an upload whose entry is gone.
    const finished = await uploadWhole(gw, 'old finished.bin', randomBytes(100));
    const orphan = randomUUID();
    const objects = gw.config.storage.driver === 'fs' ? gw.config.storage.root : '';
    const old = new Date(Date.now() - 3 * 24 * 3600 * 1000);
    for (const strayId of [finished, orphan]) {
      writeFileSync(join(recordsDir(gw), `${strayId}.json`), JSON.stringify({ id: `originals/${strayId}`, metadata: { filename: 'x' } }));
      utimesSync(join(recordsDir(gw), `${strayId}.json`), old, old);
    }
    writeFileSync(join(objects, 'originals', orphan), 'orphaned bytes');
    // Copies of records a gateway killed mid-write left beside them (write-file-atomic's names):
    // an old one was abandoned; a fresh one may be a write under way.
    const abandoned = join(recordsDir(gw), `${finished}.json.1234567890`);
    const underWay = join(recordsDir(gw), `${id}.json.42`);
    writeFileSync(abandoned, '{"id":');
    utimesSync(abandoned, old, old);
    writeFileSync(underWay, '{"id":');
    await gw.app.get(UploadsService).removeExpired();
    expect(existsSync(abandoned)).toBe(false);
    expect(existsSync(underWay)).toBe(true);
    rmSync(underWay);
    expect(existsSync(join(recordsDir(gw), `${id}.json`))).toBe(false);
    expect(existsSync(join(recordsDir(gw), `${finished}.json`))).toBe(false);
    expect(existsSync(join(recordsDir(gw), `${orphan}.json`))).toBe(false);
    expect(existsSync(join(objects, 'originals', orphan))).toBe(false);
    expect((await fetch(`${gw.url}/api/files/${finished}/content`)).status).toBe(200);
    expect((await listing(gw)).entries.map((e) => e.name)).not.toContain('left behind.bin');
    expect(readdirSync(recordsDir(gw)).filter((n) => n.startsWith(id))).toEqual([]);
  });

  it('advertises the limit as Tus-Max-Size and refuses a larger upload with 413, leaving nothing', async () => {
    const before = (await listing(gw)).entries.length;
    const options = await fetch(`${gw.url}/api/uploads`, { method: 'OPTIONS' });
    expect(options.headers.get('tus-max-size')).toBe(String(1024 * 1024));
    const big = await create(gw, 'huge.bin', 1e18);
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ statusCode: 413, code: 'too_large', message: expect.stringContaining('1048576') });
    // A body longer than the declared Upload-Length, in the creation request itself.
    const over = await fetch(`${gw.url}/api/uploads`, {
      method: 'POST',
      headers: { ...TUS, 'Upload-Length': '3', 'Upload-Metadata': `filename ${b64('over.bin')}`, 'Content-Type': 'application/offset+octet-stream' },
      body: 'too many bytes',
    });
    expect(over.status).toBe(413);
    expect(await over.json()).toMatchObject({ code: 'too_large' });
    expect((await listing(gw)).entries.length).toBe(before);
    // Nothing of it is left in storage or in tus' records either.
    expect((await create(gw, 'over.bin', 3)).status).toBe(201);
  });
});

describe('the default upload limit follows the free space of the store', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway('fs');
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('advertises a Tus-Max-Size below the free space and refuses Upload-Length 1e18 with 413', async () => {
    const { statfs } = await import('node:fs/promises');
    const fs = await statfs(gw.config.dataDir);
    const max = Number((await fetch(`${gw.url}/api/uploads`, { method: 'OPTIONS' })).headers.get('tus-max-size'));
    expect(max).toBeGreaterThan(0);
    expect(max).toBeLessThanOrEqual(fs.bavail * fs.bsize);
    const res = await create(gw, 'huge.bin', 1e18);
    expect(res.status).toBe(413);
    expect((await listing(gw)).entries).toEqual([]);
  });
});
