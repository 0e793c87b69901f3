import 'reflect-metadata';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_QUEUE, type EntryDto, type MediaDetails, type TranscodeJob } from '@nebula/contract';
import { loadConfig, redisOptionsFromUrl, type Config } from '@nebula/shared';
import { createLogger } from '@nebula/shared/runtime';
import { createTestDatabase, startRedis, tempDir } from '../../ops/test-support/services';
import { createGateway } from '../../server/src/gateway';
import { WorkerModule } from '../src/worker.module';

function upload(url: string, name: string, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    new tus.Upload(Readable.from([bytes]), { endpoint: `${url}/api/uploads`, uploadSize: bytes.length, chunkSize: bytes.length, metadata: { filename: name }, onError: reject, onSuccess: () => resolve() }).start();
  });
}

/** The job carries ids only: what the file is called is read when the job runs, not when it was queued. */
describe('a video renamed while its job waits in the queue (real gateway, worker, Postgres, Redis, ffprobe)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let config: Config;
  let gateway: INestApplication;
  let worker: INestApplicationContext | undefined;
  let url: string;

  beforeAll(async () => {
    [db, redis, dir] = await Promise.all([createTestDatabase(), startRedis(), tempDir()]);
    config = loadConfig({ DATABASE_URL: db.url, REDIS_URL: redis.url, NEBULA_DATA_DIR: dir.path, NEBULA_WORKER_HEARTBEAT_FILE: join(dir.path, 'heartbeat'), NEBULA_METRICS_PORT: '0' });
    gateway = await createGateway(config, createLogger('gateway', 'fatal'));
    await gateway.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(gateway.getHttpServer().address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await worker?.close();
    await gateway?.close();
    await redis?.stop();
    await db?.drop();
    await dir?.remove();
  });

  it('is transcoded (here: fails its probe) under its new name', async () => {
    // No worker yet: the job waits in Redis while the file is renamed.
    await upload(url, 'draft.mp4', Buffer.from('these bytes are not a video'));
    const entry = (await (await fetch(`${url}/api/files/lookup?path=/draft.mp4`)).json()) as EntryDto;
    const queue = new Queue<TranscodeJob>(MEDIA_QUEUE, { connection: redisOptionsFromUrl(redis.url) });
    try {
      expect((await queue.getJobs(['waiting'])).map((job) => job.data.fileId)).toEqual([entry.id]);
    } finally {
      await queue.close();
    }
    const renamed = await fetch(`${url}/api/files/${entry.id}`, { method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'final.mp4' }) });
    expect(renamed.status).toBe(200);

    worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: false });
    await worker.init();
    let media: MediaDetails | undefined;
    await expect
      .poll(async () => (media = (await (await fetch(`${url}/api/files/${entry.id}/media`)).json()) as MediaDetails).status, { timeout: 30_000, interval: 250 })
      .toBe('failed');
    expect(media!.error).toBe('"final.mp4" is not a video ffmpeg can read (Invalid data found when processing input)');
  });
});
