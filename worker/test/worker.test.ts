import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue, QueueEvents } from 'bullmq';
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PING_JOB, SYSTEM_QUEUE, type PingJob, type WorkerReport } from '@nebula/contract';
import { loadConfig, redisOptionsFromUrl, type Config } from '@nebula/shared';
import { createTestDatabase, startRedis, tempDir } from '../../ops/test-support/services';
import { WorkerModule } from '../src/worker.module';

describe('the worker, on real Redis and Postgres', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let config: Config;
  let worker: INestApplicationContext;
  let queue: Queue<PingJob, WorkerReport>;
  let events: QueueEvents;

  beforeAll(async () => {
    [db, redis, dir] = await Promise.all([createTestDatabase(), startRedis(), tempDir()]);
    config = loadConfig({ DATABASE_URL: db.url, REDIS_URL: redis.url, NEBULA_DATA_DIR: dir.path, NEBULA_WORKER_HEARTBEAT_FILE: join(dir.path, 'heartbeat'), NEBULA_METRICS_PORT: '0' });
    worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: false });
    await worker.init();
    queue = new Queue(SYSTEM_QUEUE, { connection: redisOptionsFromUrl(redis.url) });
    events = new QueueEvents(SYSTEM_QUEUE, { connection: redisOptionsFromUrl(redis.url) });
    await events.waitUntilReady();
  });

  afterAll(async () => {
    await events?.close();
    await queue?.close();
    await worker?.close();
    await redis?.stop();
    await db?.drop();
    await dir?.remove();
  });

  it('takes a ping job from the queue and answers with what it found', async () => {
    const job = await queue.add(PING_JOB, { requestedAt: new Date().toISOString() });
    const report = await job.waitUntilFinished(events, 10_000);
    const ffmpegVersion = /^ffmpeg version (\S+)/.exec(execFileSync('ffmpeg', ['-version']).toString())![1];
    expect(report).toEqual({
      workerId: expect.stringMatching(/:\d+$/),
      postgres: 'ok',
      ffmpeg: { state: 'ok', version: ffmpegVersion },
      hwaccel: {
        requested: 'auto',
        devices: [],
        selected: 'software',
        detail: 'no GPU render node under /dev/dri: encoding with libx264 in software',
      },
    });
  });

  it('writes a fresh heartbeat for the container healthcheck', () => {
    const heartbeat = join(dir.path, 'heartbeat');
    expect(existsSync(heartbeat)).toBe(true);
    expect(Date.now() - statSync(heartbeat).mtimeMs).toBeLessThan(30_000);
  });

  it('reports ffmpeg as down, with what to do, when the binary is missing', async () => {
    const broken = await NestFactory.createApplicationContext(
      WorkerModule.forRoot({ ...config, media: { ...config.media, ffmpegPath: '/nonexistent/ffmpeg' }, worker: { ...config.worker, heartbeatFile: join(dir.path, 'hb2') } }),
      { logger: false },
    );
    await broken.init();
    // Two workers now share the queue; ask until the broken one answers.
    await expect
      .poll(async () => (await (await queue.add(PING_JOB, { requestedAt: new Date().toISOString() })).waitUntilFinished(events, 10_000)).ffmpeg, { timeout: 20_000 })
      .toEqual({ state: 'down', error: 'ffmpeg not found at "/nonexistent/ffmpeg" (install ffmpeg, or set NEBULA_FFMPEG_PATH)' });
    await broken.close();
  });

  it('removes its heartbeat when it shuts down, so the healthcheck does not vouch for a stopped worker', async () => {
    await worker.close();
    expect(existsSync(join(dir.path, 'heartbeat'))).toBe(false);
  });
});
