import { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_QUEUE, type FolderListing, type NebulaEvent } from '@nebula/contract';
import { redisOptionsFromUrl } from '@nebula/shared';
import { createObjectStorage } from '@nebula/shared/storage';
import { startTestGateway, type TestGateway } from './gateway';

/** Reads a Server-Sent Events response and collects its events as they come. */
function sse(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const received: NebulaEvent[] = [];
  const ids: string[] = [];
  const done = (async () => {
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
    let buffer = '';
    for await (const chunk of res.body!) {
      buffer += Buffer.from(chunk).toString();
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^data: (.*)$/m.exec(block)?.[1];
        const id = /^id: (.*)$/m.exec(block)?.[1];
        if (data && id) {
          received.push(JSON.parse(data) as NebulaEvent);
          ids.push(id);
        }
      }
    }
  })().catch(() => undefined);
  return { received, ids, close: () => controller.abort(), done };
}

function upload(url: string, name: string, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    new tus.Upload(Readable.from([bytes]), { endpoint: `${url}/api/uploads`, uploadSize: bytes.length, chunkSize: bytes.length, metadata: { filename: name }, onError: reject, onSuccess: () => resolve() }).start();
  });
}

describe('the event log, live', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway('fs');
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('pushes new events over SSE as they are committed, with their ids', async () => {
    const stream = sse(`${gw.url}/api/events/stream`);
    await new Promise((r) => setTimeout(r, 300));
    await upload(gw.url, 'clip.mp4', Buffer.from('not really a video'));
    await expect.poll(() => stream.received.map((e) => e.type), { timeout: 10_000 }).toEqual(['upload.completed', 'media.queued']);
    expect(stream.received[0]).toMatchObject({ subject: expect.stringMatching(/^file:/), data: { path: '/clip.mp4', size: 18 } });
    expect(stream.ids).toEqual(stream.received.map((e) => e.id));
    stream.close();
  });

  it('resumes after Last-Event-ID with everything that was missed, then goes on live', async () => {
    const all = (await (await fetch(`${gw.url}/api/events`)).json()) as NebulaEvent[];
    const first = all[0]!;
    const stream = sse(`${gw.url}/api/events/stream`, { 'Last-Event-ID': first.id });
    await expect.poll(() => stream.received.length, { timeout: 10_000 }).toBe(all.length - 1);
    expect(stream.received.map((e) => e.id)).toEqual(all.slice(1).map((e) => e.id));
    await fetch(`${gw.url}/api/folders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: '/live' }) });
    await expect.poll(() => stream.received.at(-1)?.type, { timeout: 10_000 }).toBe('folder.created');
    stream.close();
  });

  it('replays upload.completed: the file goes back to queued and a new transcode job is on the queue', async () => {
    const [completed] = (await (await fetch(`${gw.url}/api/events?type=upload.completed`)).json()) as NebulaEvent[];
    const queue = new Queue(MEDIA_QUEUE, { connection: redisOptionsFromUrl(gw.config.redisUrl) });
    const before = await queue.count();
    const res = await fetch(`${gw.url}/api/events/${completed!.id}/replay`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ type: 'media.queued', subject: completed!.subject, data: { path: '/clip.mp4', replayOf: completed!.id } });
    expect(await queue.count()).toBe(before + 1);
    await queue.close();
    const listing = (await (await fetch(`${gw.url}/api/files?path=/`)).json()) as FolderListing;
    expect(listing.entries.find((e) => e.name === 'clip.mp4')!.media).toMatchObject({ status: 'queued', error: null });
  });

  it('refuses to replay other kinds of events, and unknown ones', async () => {
    const [folder] = (await (await fetch(`${gw.url}/api/events?type=folder.created`)).json()) as NebulaEvent[];
    const refused = await fetch(`${gw.url}/api/events/${folder!.id}/replay`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ code: 'not_replayable' });
    expect((await fetch(`${gw.url}/api/events/99999999/replay`, { method: 'POST', headers: { 'content-type': 'application/json' } })).status).toBe(404);
    expect((await fetch(`${gw.url}/api/events?after=abc`)).status).toBe(400);
  });
});

describe('HLS and posters through the gateway', () => {
  let gw: TestGateway;
  const id = randomUUID();
  beforeAll(async () => {
    gw = await startTestGateway('fs');
    const storage = createObjectStorage(gw.config.storage);
    for (const [name, body] of [
      ['master.m3u8', '#EXTM3U\n'],
      ['720p/index.m3u8', '#EXTM3U\n#EXT-X-PLAYLIST-TYPE:EVENT\n'],
      ['720p/init_0.mp4', 'init'],
      ['720p/seg_00001.m4s', 'segment'],
      ['storyboard.vtt', 'WEBVTT\n'],
      ['r1-software/storyboard/sprite_000.jpg', 'jpeg'],
    ] as const) {
      await storage.put(`hls/${id}/${name}`, Readable.from([Buffer.from(body)]));
    }
    await storage.put(`posters/${id}.jpg`, Readable.from([Buffer.from('jpeg')]));
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it.each([
    ['master.m3u8', 'application/vnd.apple.mpegurl', 'no-cache'],
    ['720p/index.m3u8', 'application/vnd.apple.mpegurl', 'no-cache'],
    ['720p/init_0.mp4', 'video/mp4', 'public, max-age=31536000, immutable'],
    ['720p/seg_00001.m4s', 'video/iso.segment', 'public, max-age=31536000, immutable'],
    // Seek previews: a re-run rewrites the track (revalidated), never a sheet (new run, new folder).
    ['storyboard.vtt', 'text/vtt; charset=utf-8', 'no-cache'],
    ['r1-software/storyboard/sprite_000.jpg', 'image/jpeg', 'public, max-age=31536000, immutable'],
  ])('serves %s as %s with Cache-Control %s', async (name, type, cache) => {
    const res = await fetch(`${gw.url}/hls/${id}/${name}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(type);
    expect(res.headers.get('cache-control')).toBe(cache);
    const again = await fetch(`${gw.url}/hls/${id}/${name}`, { headers: { 'If-None-Match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('serves the poster, and 404 for what is not there or not HLS', async () => {
    const poster = await fetch(`${gw.url}/api/files/${id}/poster.jpg`);
    expect(poster.headers.get('content-type')).toBe('image/jpeg');
    expect(await poster.text()).toBe('jpeg');
    expect((await fetch(`${gw.url}/hls/${id}/1080p/index.m3u8`)).status).toBe(404);
    expect((await fetch(`${gw.url}/hls/${id}/..%2F..%2Foriginals%2Fx.mp4`)).status).toBe(404);
    expect((await fetch(`${gw.url}/hls/${id}/secret.txt`)).status).toBe(404);
  });
});
