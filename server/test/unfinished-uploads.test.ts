import { createHash, randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntryDto, FolderListing, UploadInProgressError } from '@nebula/contract';
import { startTestGateway, type TestGateway } from './gateway';

const MiB = 1024 * 1024;

/**
 * An upload abandoned on one device (a laptop closed at a third): the listing says who started
 * it, when and how far it got; its owner resumes it from another device or gives it up; anybody
 * else hears who is uploading it. Raw tus requests, as any tus client sends them; the user comes
 * from `tailscale serve`'s identity header (loopback is a trusted proxy by default).
 */
describe('unfinished uploads across devices', () => {
  let gw: TestGateway;
  const bytes = randomBytes(3 * MiB);
  const sha256 = createHash('sha256').update(bytes).digest('hex');

  beforeAll(async () => {
    gw = await startTestGateway('fs');
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const b64 = (value: string) => Buffer.from(value).toString('base64');
  const create = (name: string, user: string, declared = sha256) =>
    fetch(`${gw.url}/api/uploads`, {
      method: 'POST',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Length': String(bytes.length),
        'Upload-Metadata': `filename ${b64(name)},sha256 ${b64(declared)}`,
        'Tailscale-User-Login': user,
      },
    });
  const patch = (url: string, offset: number, body: Buffer, user: string) =>
    fetch(`${gw.url}${url}`, {
      method: 'PATCH',
      headers: { 'Tus-Resumable': '1.0.0', 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream', 'Tailscale-User-Login': user },
      body,
    });
  const entryNamed = async (name: string) => ((await (await fetch(`${gw.url}/api/files?path=/`)).json()) as FolderListing).entries.find((e) => e.name === name);

  let started: EntryDto;

  it('lists an abandoned upload with who started it, when, and the bytes received so far', async () => {
    const created = await create('holiday.mp4', 'alice@example.com');
    expect(created.status).toBe(201);
    const url = new URL(created.headers.get('location')!, gw.url).pathname;
    expect((await patch(url, 0, bytes.subarray(0, MiB), 'alice@example.com')).status).toBe(204);

    started = (await entryNamed('holiday.mp4'))!;
    expect(started).toMatchObject({ status: 'uploading', owner: 'alice@example.com', size: bytes.length, upload: { received: MiB, url, sha256 } });
    expect(Date.parse(started.createdAt)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(started.upload!.expiresAt) - Date.parse(started.createdAt)).toBe(gw.config.uploadExpiryHours * 3600 * 1000);
    // The same on the entry's own routes.
    expect(((await (await fetch(`${gw.url}/api/files/${started.id}`)).json()) as EntryDto).upload).toEqual(started.upload);
    expect(((await (await fetch(`${gw.url}/api/files/lookup?path=/holiday.mp4`)).json()) as EntryDto).upload).toEqual(started.upload);
  });

  it('tells another user who is uploading that name, since when and how far it got', async () => {
    const refused = await create('holiday.mp4', 'bob@example.com');
    expect(refused.status).toBe(409);
    const body = (await refused.json()) as UploadInProgressError;
    expect(body).toEqual({
      statusCode: 409,
      code: 'upload_in_progress',
      message: `/holiday.mp4 is being uploaded by alice@example.com since ${started.createdAt} (${MiB} of ${bytes.length} bytes (33%) received); only alice@example.com can resume or replace it, and unless finished it expires at ${started.upload!.expiresAt}`,
      upload: { ...started.upload, owner: 'alice@example.com', startedAt: started.createdAt, size: bytes.length },
    });
  });

  it('tells its owner, creating it again with other content, how to resume or give it up', async () => {
    const refused = await create('holiday.mp4', 'alice@example.com', 'e'.repeat(64));
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ code: 'upload_in_progress', message: expect.stringContaining(`/holiday.mp4 is your unfinished upload`) });
  });

  it('answers its owner, creating the same file again (a tus client that lost its URL), with the unfinished upload', async () => {
    const again = await create('holiday.mp4', 'alice@example.com');
    expect(again.status).toBe(201);
    expect(again.headers.get('location')).toBe(started.upload!.url);
    const head = await fetch(`${gw.url}${started.upload!.url}`, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } });
    expect(head.headers.get('upload-offset')).toBe(String(MiB));
    // Nothing new was reserved: one entry, still the first one.
    const listing = (await (await fetch(`${gw.url}/api/files?path=/`)).json()) as FolderListing;
    expect(listing.entries.filter((e) => e.name === 'holiday.mp4').map((e) => e.id)).toEqual([started.id]);
  });

  it('lets its owner resume it from another device at its URL, byte-exact', async () => {
    const url = started.upload!.url;
    const head = await fetch(`${gw.url}${url}`, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } });
    expect(head.headers.get('upload-offset')).toBe(String(MiB));
    expect((await patch(url, MiB, bytes.subarray(MiB), 'alice@example.com')).status).toBe(204);
    const done = (await entryNamed('holiday.mp4'))!;
    expect(done).toMatchObject({ id: started.id, status: 'ready', sha256, upload: null });
    const content = Buffer.from(await (await fetch(`${gw.url}/api/files/${done.id}/content`)).arrayBuffer());
    expect(content.equals(bytes)).toBe(true);
  });

  it('lets its owner give it up (tus termination) and upload the name anew', async () => {
    const first = await create('draft.bin', 'alice@example.com');
    const url = new URL(first.headers.get('location')!, gw.url).pathname;
    expect((await patch(url, 0, bytes.subarray(0, 1000), 'alice@example.com')).status).toBe(204);
    const terminate = (user: string) => fetch(`${gw.url}${url}`, { method: 'DELETE', headers: { 'Tus-Resumable': '1.0.0', 'Tailscale-User-Login': user } });

    // Someone else on the tailnet cannot give it up: the upload goes on.
    const foreign = await terminate('bob@example.com');
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ code: 'not_your_upload', message: 'draft.bin is being uploaded by alice@example.com; only they can give it up (or it expires unfinished)' });
    expect((await patch(url, 1000, bytes.subarray(1000, 2000), 'alice@example.com')).status).toBe(204);

    const gone = await terminate('alice@example.com');
    expect(gone.status).toBe(204);
    // The name is free by the time the termination is answered: the same name can be uploaded at once.
    expect(await entryNamed('draft.bin')).toBeUndefined();
    const again = await create('draft.bin', 'alice@example.com');
    expect(again.status).toBe(201);
    expect((await entryNamed('draft.bin'))!.upload).toMatchObject({ received: 0 });
  });

  it('ends an unfinished upload in the tus store when its file is deleted (nebula rm), not only its row', async () => {
    const first = await create('abandoned.bin', 'alice@example.com');
    const url = new URL(first.headers.get('location')!, gw.url).pathname;
    expect((await patch(url, 0, bytes.subarray(0, 1000), 'alice@example.com')).status).toBe(204);
    const id = url.split('/').at(-1)!;
    const record = join(gw.config.dataDir, 'uploads', 'originals', `${id}.json`);
    await access(record);

    expect((await fetch(`${gw.url}/api/files/${id}`, { method: 'DELETE' })).status).toBe(204);
    // tus' record (it holds the name) is gone with the upload, and the upload cannot be resumed.
    await expect(access(record)).rejects.toThrow(/ENOENT/);
    const head = await fetch(`${gw.url}${url}`, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } });
    expect(head.status).toBe(404);
  });

  it('lets tus-js-client that lost its upload URL create it again and finish it, byte-exact', async () => {
    const first = await create('lost.bin', 'alice@example.com');
    const url = new URL(first.headers.get('location')!, gw.url).pathname;
    expect((await patch(url, 0, bytes.subarray(0, MiB), 'alice@example.com')).status).toBe(204);
    // A fresh client, as after a HEAD that failed while the gateway restarted: no URL, only the file.
    await new Promise<void>((resolve, reject) =>
      new tus.Upload(bytes, {
        endpoint: `${gw.url}/api/uploads`,
        metadata: { filename: 'lost.bin', sha256 },
        headers: { 'Tailscale-User-Login': 'alice@example.com' },
        retryDelays: [0, 100, 200],
        onError: reject,
        onSuccess: () => resolve(),
      }).start(),
    );
    const done = (await entryNamed('lost.bin'))!;
    expect(done).toMatchObject({ id: url.split('/').at(-1), status: 'ready', sha256 });
    const content = Buffer.from(await (await fetch(`${gw.url}/api/files/${done.id}/content`)).arrayBuffer());
    expect(content.equals(bytes)).toBe(true);
  });
});
