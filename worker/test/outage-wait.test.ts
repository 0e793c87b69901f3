import 'reflect-metadata';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_QUEUE, type EntryDto, type MediaDetails, type TranscodeJob } from '@nebula/contract';
import { loadConfig, redisOptionsFromUrl } from '@nebula/shared';
import { createLogger } from '@nebula/shared/runtime';
import { createTestDatabase, startRedis, tempDir } from '../../ops/test-support/services';
import { TcpHop } from '../../ops/test-support/tcp-hop';
import { tusUpload as upload } from '../../ops/test-support/tus-upload';
import { createGateway } from '../../server/src/gateway';
import { WorkerModule } from '../src/worker.module';

/**
 * A job that meets Postgres down waits it out without spending its attempts. (Three attempts, 5 and
 * 10 s apart, used to be spent in 15 s: in the chaos test, two Postgres restarts in a row failed every
 * queued video with "the database system is starting up".)
 */
describe('the worker waits out an outage (real gateway and worker, Postgres through a cable the test cuts)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let cable: TcpHop;
  let gateway: INestApplication;
  let worker: INestApplicationContext;
  let queue: Queue<TranscodeJob>;
  let url: string;

  beforeAll(async () => {
    [db, redis, dir] = await Promise.all([createTestDatabase(), startRedis(), tempDir()]);
    const direct = { DATABASE_URL: db.url, REDIS_URL: redis.url, NEBULA_DATA_DIR: dir.path, NEBULA_METRICS_PORT: '0' };
    gateway = await createGateway(loadConfig(direct), createLogger('gateway', 'fatal'));
    await gateway.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(gateway.getHttpServer().address() as { port: number }).port}`;
    // Only the worker's Postgres goes through the cable: the upload and the checks go on meanwhile.
    const dbUrl = new URL(db.url);
    cable = await new TcpHop({ host: dbUrl.hostname, port: Number(dbUrl.port) }).open();
    dbUrl.port = String(cable.port);
    worker = await NestFactory.createApplicationContext(
      WorkerModule.forRoot(loadConfig({ ...direct, DATABASE_URL: dbUrl.toString(), NEBULA_WORKER_HEARTBEAT_FILE: join(dir.path, 'heartbeat') })),
      { logger: false },
    );
    await worker.init();
    queue = new Queue<TranscodeJob>(MEDIA_QUEUE, { connection: redisOptionsFromUrl(redis.url) });
  }, 120_000);

  afterAll(async () => {
    await queue?.close();
    await worker?.close();
    await gateway?.close();
    await cable?.cut();
    await redis?.stop();
    await db?.drop();
    await dir?.remove();
  });

  it('runs the job again and again while Postgres is down, with its attempts untouched, and makes the video once it is back', { timeout: 120_000 }, async () => {
    const clip = join(dir.path, 'clip.mp4');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip]);
    await cable.cut();
    await upload(url, clip, 'clip.mp4');
    const entry = (await (await fetch(`${url}/api/files/lookup?path=/clip.mp4`)).json()) as EntryDto;
    const job = async () => (await queue.getJobs(['waiting', 'active', 'delayed', 'failed', 'completed'])).find((j) => j.data.fileId === entry.id)!;

    // Three runs while it is down (2 s, then 4 s apart): none of them counts.
    await expect.poll(async () => (await job())?.attemptsStarted ?? 0, { timeout: 30_000, interval: 250 }).toBeGreaterThanOrEqual(3);
    const waiting = await job();
    expect(waiting.attemptsMade).toBe(0);
    expect(await waiting.getState()).not.toBe('failed');

    await cable.open();
    let media: MediaDetails | undefined;
    await expect
      .poll(async () => (media = (await (await fetch(`${url}/api/files/${entry.id}/media`)).json()) as MediaDetails).status, { timeout: 60_000, interval: 250 })
      .toBe('ready');
    expect(media!.attempts.at(-1)).toMatchObject({ attempt: 1, status: 'succeeded' });
    // The file is marked ready before the job returns; BullMQ completes it a moment later (a CI run
    // of dfbdcaa found it still active when checked at once).
    await expect.poll(async () => (await job()).getState(), { timeout: 10_000, interval: 100 }).toBe('completed');
  });

  it('keeps a playable video playable when Postgres goes away while its job runs, and finishes the same run once it is back, without encoding again', { timeout: 180_000 }, async () => {
    const clip = join(dir.path, 'long.mp4');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30:duration=30', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip]);
    await upload(url, clip, 'long.mp4');
    const entry = (await (await fetch(`${url}/api/files/lookup?path=/long.mp4`)).json()) as EntryDto;
    const job = async () => (await queue.getJobs(['waiting', 'active', 'delayed', 'failed', 'completed'])).find((j) => j.data.fileId === entry.id)!;
    const media = async () => (await (await fetch(`${url}/api/files/${entry.id}/media`)).json()) as MediaDetails;
    const encoded = async () => ((await job()).progress as { percent?: number } | undefined)?.percent === 100;

    // Playable (its master is out) while the ladder is still being made; then Postgres goes away
    // until well after ffmpeg has finished, so the job meets the outage when it records the video.
    await expect.poll(async () => (await media()).hls, { timeout: 60_000, interval: 100 }).not.toBeNull();
    const master = `${url}${(await media()).hls!}`;
    const variant = new URL((await (await fetch(master)).text()).split('\n').find((l) => l && !l.startsWith('#'))!, master).toString();
    await cable.cut();
    expect(await encoded()).toBe(false);
    await expect.poll(encoded, { timeout: 90_000, interval: 250 }).toBe(true);
    // Two tries of its last steps (2 s apart, then 4 s) meet the outage; the job is not run again.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const waiting = await job();
    expect(await waiting.getState()).toBe('active');
    expect(waiting.attemptsStarted).toBe(1);
    expect((await media()).status).toBe('processing');
    // What it had published is still there: the run was not taken for another node's and discarded.
    expect((await fetch(variant)).status).toBe(200);

    await cable.open();
    let done: MediaDetails | undefined;
    await expect.poll(async () => (done = await media()).status, { timeout: 60_000, interval: 250 }).toBe('ready');
    // The same run, the same attempt: its encode was kept (before, the job ran again from the start).
    expect(done!.attempts).toHaveLength(1);
    expect(done!.attempts[0]).toMatchObject({ attempt: 1, status: 'succeeded' });
    await expect.poll(async () => (await job()).getState(), { timeout: 10_000, interval: 100 }).toBe('completed');
    expect((await job()).attemptsStarted).toBe(1);
    expect((await fetch(variant)).status).toBe(200);
  });
});
