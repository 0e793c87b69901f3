import type { INestApplication } from '@nestjs/common';
import { Queue, Worker } from 'bullmq';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSubject, MEDIA_QUEUE, TRANSCODE_JOB, type EntryDto, type MediaDetails, type NebulaEvent, type TranscodeJob } from '@nebula/contract';
import { loadConfig, redisOptionsFromUrl } from '@nebula/shared';
import { createLogger } from '@nebula/shared/runtime';
import { createTestDatabase, startRedis, tempDir } from '../../ops/test-support/services';
import { createGateway } from '../src/gateway';

function upload(url: string, name: string, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    new tus.Upload(Readable.from([bytes]), { endpoint: `${url}/api/uploads`, uploadSize: bytes.length, chunkSize: bytes.length, metadata: { filename: name }, onError: reject, onSuccess: () => resolve() }).start();
  });
}

async function json<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T;
}

/** No worker runs here: these tests are about what the gateway does with the queue. */
describe('videos never wait forever for a queue (real gateway, Postgres and Redis)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let app: INestApplication;
  let url: string;
  let queue: Queue<TranscodeJob>;

  /** The state a worker (or the upload) wrote a minute ago, past the reconciler's quiet time. */
  const backdate = async (fileId: string, state: 'queued' | 'processing') => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(`UPDATE entries SET media_status = $2, updated_at = now() - interval '1 minute' WHERE id = $1`, [fileId, state]);
    await client.end();
  };
  const jobsFor = async (fileId: string) => (await queue.getJobs(['waiting', 'active', 'delayed', 'prioritized'])).filter((j) => j.data.fileId === fileId);

  beforeAll(async () => {
    [db, redis, dir] = await Promise.all([createTestDatabase(), startRedis(), tempDir()]);
    const config = loadConfig({
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      NEBULA_DATA_DIR: dir.path,
      NEBULA_WORKER_HEARTBEAT_FILE: join(dir.path, 'heartbeat'),
      NEBULA_METRICS_PORT: '0',
      NEBULA_MEDIA_RECHECK_SECONDS: '1',
    });
    app = await createGateway(config, createLogger('gateway', 'fatal'));
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    queue = new Queue(MEDIA_QUEUE, { connection: redisOptionsFromUrl(redis.url) });
  });

  afterAll(async () => {
    await queue?.close();
    await app?.close();
    await redis?.stop();
    await db?.drop();
    await dir?.remove();
  });

  it('finishes an upload while Redis is down, and queues its transcode once Redis is back', async () => {
    await redis.server.stop();
    // Without the enqueue timeout this never resolves: the last PATCH waits for Redis forever.
    await upload(url, 'offline.mp4', Buffer.from('a video uploaded while the queue was down'));
    const entry = await json<EntryDto>(`${url}/api/files/lookup?path=/offline.mp4`);
    expect(entry).toMatchObject({ status: 'ready', size: 41 });
    expect((await json<MediaDetails>(`${url}/api/files/${entry.id}/media`)).status).toBe('queued');
    expect(Buffer.from(await (await fetch(`${url}/api/files/${entry.id}/content`)).arrayBuffer()).toString()).toBe('a video uploaded while the queue was down');

    // Back, empty (no append-only file here). The add that timed out may land now, or the
    // reconciler queues it: either way, exactly one job.
    await redis.server.start();
    await expect.poll(async () => (await jobsFor(entry.id)).length, { timeout: 60_000, interval: 500 }).toBe(1);
    const [job] = await jobsFor(entry.id);
    expect(job!.data).toEqual({ fileId: entry.id, traceId: expect.any(String) });
    await new Promise((r) => setTimeout(r, 3000));
    expect(await jobsFor(entry.id)).toHaveLength(1);
  });

  it('queues again a video recorded as queued whose job never reached Redis (or Redis lost it)', async () => {
    await upload(url, 'lost.mp4', Buffer.from('a video whose job was lost'));
    const entry = await json<EntryDto>(`${url}/api/files/lookup?path=/lost.mp4`);
    const [lost] = await jobsFor(entry.id);
    await lost!.remove();
    await backdate(entry.id, 'queued');
    await expect.poll(async () => (await jobsFor(entry.id)).length, { timeout: 60_000, interval: 500 }).toBe(1);
    const events = await json<NebulaEvent[]>(`${url}/api/events?subject=${fileSubject(entry.id)}&type=media.queued`);
    expect(events.map((e) => e.data)).toEqual([{ path: '/lost.mp4' }, { recovered: true, was: 'queued' }]);
    expect((await json<MediaDetails>(`${url}/api/files/${entry.id}/media`)).status).toBe('queued');
    // Queued once: the next passes see the job.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await jobsFor(entry.id)).toHaveLength(1);
  });

  it('records a failure the worker could not record (killed every attempt, or Postgres down), without internal addresses', async () => {
    await upload(url, 'unlucky.mp4', Buffer.from('a video whose worker never wrote its outcome'));
    const entry = await json<EntryDto>(`${url}/api/files/lookup?path=/unlucky.mp4`);
    // The worker took it, marked it processing, and its job then failed where the worker could not write it down.
    const [queued] = await jobsFor(entry.id);
    await queued!.remove();
    await queue.add(TRANSCODE_JOB, queued!.data, { jobId: `transcode-${entry.id}-test`, attempts: 1 });
    await backdate(entry.id, 'processing');
    const failing = new Worker(MEDIA_QUEUE, async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:5999');
    }, { connection: redisOptionsFromUrl(redis.url) });
    try {
      await expect.poll(async () => (await json<MediaDetails>(`${url}/api/files/${entry.id}/media`)).status, { timeout: 60_000, interval: 500 }).toBe('failed');
    } finally {
      await failing.close();
    }
    const media = await json<MediaDetails>(`${url}/api/files/${entry.id}/media`);
    expect(media.error).toBe('the transcode failed and the worker could not record why at the time: connect ECONNREFUSED <internal address>');
    const failedEvents = await json<NebulaEvent[]>(`${url}/api/events?subject=${fileSubject(entry.id)}&type=media.failed`);
    expect(failedEvents.map((e) => e.data)).toEqual([{ reason: media.error, recovered: true }]);
    expect(await jobsFor(entry.id)).toHaveLength(0);
  });
});
