import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntryDto } from '@nebula/contract';
import { tempDir } from '../../ops/test-support/services';
import { startTestGateway, type TestGateway } from './gateway';
import type { ObjectStorage } from '@nebula/shared/storage';
import { GatewayMetrics } from '../src/metrics/gateway-metrics';
import { ReadyFiles } from '../src/files/ready-files';
import { OBJECT_STORAGE } from '../src/storage/storage.module';

const run = promisify(execFile);

/** The HTTP details of GET /api/files/{id}/content that players, caches and download tools rely on. */
describe('the original over HTTP: conditional requests, ranges, file names', () => {
  let gw: TestGateway;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let file: EntryDto;
  let url: string;
  const text = 'Ein Café in Wien.\n'.repeat(10);

  beforeAll(async () => {
    [gw, dir] = await Promise.all([startTestGateway('fs'), tempDir()]);
    const local = join(dir.path, 'local.txt');
    await writeFile(local, text);
    await new Promise<void>((resolve, reject) =>
      new tus.Upload(createReadStream(local), {
        endpoint: `${gw.url}/api/uploads`,
        uploadSize: Buffer.byteLength(text),
        retryDelays: [],
        metadata: { filename: 'Café.txt', filetype: 'text/plain' },
        onError: reject,
        onSuccess: () => resolve(),
      }).start(),
    );
    file = (await (await fetch(`${gw.url}/api/files/lookup?path=/Café.txt`)).json()) as EntryDto;
    url = `${gw.url}/api/files/${file.id}/content`;
  });
  afterAll(async () => {
    await gw?.stop();
    await dir?.remove();
  });

  it('answers If-Match with a stale ETag with 412 and a JSON reason, and serves it when the ETag is current', async () => {
    const stale = await fetch(url, { headers: { 'If-Match': '"0000"' } });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toMatch(/^application\/json/);
    expect(stale.headers.get('content-disposition')).toBeNull();
    expect(await stale.json()).toMatchObject({ statusCode: 412, code: 'precondition_failed', message: expect.stringContaining(`its ETag is "${file.sha256}"`) });
    const current = await fetch(url, { headers: { 'If-Match': `"${file.sha256}"` } });
    expect(current.status).toBe(200);
    expect(await current.text()).toBe(text);
  });

  it('sends Last-Modified, and 304 to If-Modified-Since when nothing changed since', async () => {
    const first = await fetch(url, { method: 'HEAD' });
    const lastModified = first.headers.get('last-modified')!;
    expect(new Date(lastModified).toUTCString()).toBe(lastModified);
    const cached = await fetch(url, { headers: { 'If-Modified-Since': lastModified } });
    expect(cached.status).toBe(304);
    expect(cached.headers.get('etag')).toBe(`"${file.sha256}"`);
    const older = new Date(Date.parse(lastModified) - 60_000).toUTCString();
    const changed = await fetch(url, { headers: { 'If-Modified-Since': older } });
    expect(changed.status).toBe(200);
    expect(await changed.text()).toBe(text);
  });

  it('names the file in pure ASCII for curl -OJ, with the real name in filename*', async () => {
    const res = await fetch(url, { method: 'HEAD' });
    expect(res.headers.get('content-disposition')).toBe(`inline; filename="Cafe.txt"; filename*=UTF-8''Caf%C3%A9.txt`);
    const into = join(dir.path, 'curl');
    await run('mkdir', ['-p', into]);
    await run('curl', ['-sS', '--fail', '-O', '-J', '--output-dir', into, url]);
    expect(await readdir(into)).toEqual(['Cafe.txt']);
    expect(await readFile(join(into, 'Cafe.txt'), 'utf8')).toBe(text);
  });

  it('ignores an invalid range like bytes=5-3 (200, whole file) but refuses a range past the end (416)', async () => {
    const invalid = await fetch(url, { headers: { Range: 'bytes=5-3' } });
    expect(invalid.status).toBe(200);
    expect(await invalid.text()).toBe(text);
    const past = await fetch(url, { headers: { Range: `bytes=${Buffer.byteLength(text) + 5}-` } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${Buffer.byteLength(text)}`);
    expect(past.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await past.json()).toMatchObject({ statusCode: 416, code: 'range_not_satisfiable' });
  });

  it('answers a file it has served before as it did the first time (whole, by range, HEAD, download, 412, 416), counted under its route', async () => {
    const counted = async () => (await gw.app.get(GatewayMetrics).httpRequests.get()).values.filter((v) => v.labels.route === '/api/files/:id/content').reduce((sum, v) => sum + v.value, 0);
    const asks: [string, RequestInit][] = [
      [url, {}],
      [url, { headers: { Range: 'bytes=4-7' } }],
      [url, { method: 'HEAD' }],
      [`${url}?download=1`, { headers: { Range: 'bytes=-5' } }],
      [url, { headers: { 'If-Match': '"stale"' } }],
      [url, { headers: { Range: 'bytes=9999-' } }],
      [url, { headers: { 'If-None-Match': `"${file.sha256}"` } }],
    ];
    const answer = async ([to, init]: [string, RequestInit]) => {
      const res = await fetch(to, init);
      const headers = Object.fromEntries([...res.headers].filter(([name]) => name !== 'date' && name !== 'x-trace-id'));
      return { status: res.status, headers, body: await res.text() };
    };
    const before = await counted();
    // The first of each may come from the database; the second from what the gateway remembers.
    for (const ask of asks) expect(await answer(ask)).toEqual(await answer(ask));
    expect(await counted()).toBe(before + 2 * asks.length);
    expect((await answer(asks[3]!)).headers['content-disposition']).toMatch(/^attachment;/);
    expect((await answer(asks[4]!)).body).toContain('"code":"precondition_failed"');
  });

  it('a file whose bytes vanished from storage behind its back answers an error in JSON each time, never a cut connection', async () => {
    const body = 'soon gone';
    await new Promise<void>((resolve, reject) =>
      new tus.Upload(Buffer.from(body), { endpoint: `${gw.url}/api/uploads`, uploadSize: body.length, retryDelays: [], metadata: { filename: 'vanishing.txt' }, onError: reject, onSuccess: () => resolve() }).start(),
    );
    const vanishing = (await (await fetch(`${gw.url}/api/files/lookup?path=/vanishing.txt`)).json()) as EntryDto;
    const content = `${gw.url}/api/files/${vanishing.id}/content`;
    expect(await (await fetch(content)).text()).toBe(body);
    // As if removed by hand from the data folder: no event, the database still says ready.
    await gw.app.get<ObjectStorage>(OBJECT_STORAGE).delete(gw.app.get(ReadyFiles).get(vanishing.id)!.storageKey!);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(content, { headers: { Range: 'bytes=0-3' } });
      expect(res.status).toBe(500);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('content-range')).toBeNull();
      expect(res.headers.get('content-disposition')).toBeNull();
      expect(await res.json()).toEqual({ statusCode: 500, code: 'internal', message: expect.not.stringContaining('objects/') });
    }
  });

  it('serves a file it has served before under its new name after a move, and not at all after a delete; a new upload of the name is new bytes', async () => {
    const upload = (name: string, body: string) =>
      new Promise<void>((resolve, reject) =>
        new tus.Upload(Buffer.from(body), { endpoint: `${gw.url}/api/uploads`, uploadSize: Buffer.byteLength(body), retryDelays: [], metadata: { filename: name }, onError: reject, onSuccess: () => resolve() }).start(),
      );
    const find = async (path: string) => (await (await fetch(`${gw.url}/api/files/lookup?path=${path}`)).json()) as EntryDto;
    await upload('clip.txt', 'first version');
    const clip = await find('/clip.txt');
    const content = `${gw.url}/api/files/${clip.id}/content`;
    // Served twice: the second answer comes from what the gateway remembers of the file.
    for (let i = 0; i < 2; i++) {
      const res = await fetch(content, { headers: { Range: 'bytes=0-4' } });
      expect(res.status).toBe(206);
      expect(await res.text()).toBe('first');
      expect(res.headers.get('content-disposition')).toBe(`inline; filename="clip.txt"`);
    }

    const moved = await fetch(`${gw.url}/api/files/${clip.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'renamed.txt' }) });
    expect(moved.status).toBe(200);
    const afterMove = await fetch(content);
    expect(afterMove.headers.get('content-disposition')).toBe(`inline; filename="renamed.txt"`);
    expect(await afterMove.text()).toBe('first version');

    expect((await fetch(`${gw.url}/api/files/${clip.id}`, { method: 'DELETE' })).status).toBe(204);
    const afterDelete = await fetch(content);
    expect(afterDelete.status).toBe(404);
    expect(await afterDelete.json()).toMatchObject({ code: 'not_found' });

    await upload('renamed.txt', 'second version');
    const again = await find('/renamed.txt');
    expect(again.id).not.toBe(clip.id);
    const fresh = await fetch(`${gw.url}/api/files/${again.id}/content`);
    expect(fresh.headers.get('etag')).toBe(`"${again.sha256}"`);
    expect(await fresh.text()).toBe('second version');
    expect((await fetch(content)).status).toBe(404);
  });
});
