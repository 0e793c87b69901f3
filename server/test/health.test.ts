import 'reflect-metadata';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import { execFileSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SYSTEM_QUEUE, type HealthReport } from '@nebula/contract';
import { loadConfig, redisOptionsFromUrl, type Config } from '@nebula/shared';
import { createS3User, removeBucket, s3Client } from '../../ops/test-support/s3-server';
import { createTestDatabase, startRedis, tempDir } from '../../ops/test-support/services';
// The real worker, in this process: the health check's ping travels gateway → Redis → worker → back.
import { WorkerModule } from '../../worker/src/worker.module';
import { createGateway } from '../src/gateway';
import { createLogger } from '@nebula/shared/runtime';
import { startTestGateway } from './gateway';
import { TcpHop } from '../../ops/test-support/tcp-hop';

async function startGateway(config: Config): Promise<{ app: INestApplication; url: string }> {
  const app = await createGateway(config, createLogger('gateway', 'silent'));
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}` };
}

async function health(url: string): Promise<{ status: number; body: HealthReport }> {
  const res = await fetch(`${url}/api/health`);
  return { status: res.status, body: (await res.json()) as HealthReport };
}

describe('GET /api/health against real Postgres, Redis, storage and worker', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let config: Config;
  let gateway: { app: INestApplication; url: string };
  let worker: INestApplicationContext | undefined;

  beforeAll(async () => {
    [db, redis, dir] = await Promise.all([createTestDatabase(), startRedis(), tempDir()]);
    config = loadConfig({
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      NEBULA_DATA_DIR: dir.path,
      NEBULA_WORKER_HEARTBEAT_FILE: join(dir.path, 'heartbeat'),
      NEBULA_METRICS_PORT: '0',
    });
    gateway = await startGateway(config);
    worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: false });
    await worker.init();
  });

  afterAll(async () => {
    await worker?.close();
    await gateway?.app.close();
    await redis?.stop();
    await db?.drop();
    await dir?.remove();
  });

  it('answers 200 with every dependency ok, the ffmpeg version and what acceleration the worker found', async () => {
    const { status, body } = await health(gateway.url);
    const ffmpegVersion = /^ffmpeg version (\S+)/.exec(execFileSync('ffmpeg', ['-version']).toString())![1];
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.checks.postgres).toEqual({ state: 'ok' });
    expect(body.checks.redis).toEqual({ state: 'ok' });
    expect(body.checks.storage).toEqual({ state: 'ok', driver: 'fs' });
    expect(body.checks.worker.state).toBe('ok');
    expect(body.checks.worker.workerId).toMatch(/:\d+$/);
    expect(body.checks.ffmpeg).toEqual({ state: 'ok', version: ffmpegVersion });
    // No GPU on this machine: software encoding is reported, and that is not a failure.
    expect(body.checks.hwaccel).toMatchObject({ state: 'ok', selected: 'software', devices: [] });
  });

  it('applied the migrations: the event log table exists', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query(`SELECT name FROM migrations ORDER BY id`);
    const { rowCount } = await client.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'events'`);
    await client.end();
    expect(rows.map((r: { name: string }) => r.name)).toEqual(['CreateEvents1763800000000', 'CreateEntries1763800100000', 'NotifyEvents1763800200000', 'CreateMediaAttempts1763800300000', 'SearchNames1763800400000', 'EntriesSampleHash1763800517000', 'CreateNodeTokens1763800600000']);
    expect(rowCount).toBe(1);
  });

  it('serves the OpenAPI document at /api/docs', async () => {
    const doc = (await (await fetch(`${gateway.url}/api/docs/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/api/health');
    const page = await fetch(`${gateway.url}/api/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('answers unknown routes with a JSON error that has a stable code', async () => {
    const res = await fetch(`${gateway.url}/api/nothing-here`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ statusCode: 404, code: 'not_found', message: 'Cannot GET /api/nothing-here' });
  });

  it('answers 503 when object storage cannot be written, and says why', async () => {
    const root = join(dir.path, 'objects-that-break');
    const broken = await startGateway({ ...config, storage: { driver: 'fs', root } });
    try {
      // The disk goes away under the running gateway: the folder is replaced by a plain file.
      await rm(root, { recursive: true, force: true });
      await writeFile(root, 'x');
      const { status, body } = await health(broken.url);
      expect(status).toBe(503);
      expect(body.status).toBe('degraded');
      expect(body.checks.storage.state).toBe('down');
      expect(body.checks.storage.detail).toMatch(/EEXIST|ENOTDIR/);
      expect(body.checks.postgres.state).toBe('ok');
    } finally {
      await broken.app.close();
    }
  });

  it('answers 503 when no worker takes the ping, and leaves no ping behind in the queue', async () => {
    await worker!.close();
    worker = undefined;
    const { status, body } = await health(gateway.url);
    expect(status).toBe(503);
    expect(body.checks.worker).toEqual({ state: 'down', detail: 'no worker answered a ping within 3 s: is the worker running?' });
    expect(body.checks.ffmpeg.state).toBe('down');
    expect(body.checks.postgres.state).toBe('ok');
    const queue = new Queue(SYSTEM_QUEUE, { connection: redisOptionsFromUrl(redis.url) });
    expect(await queue.count()).toBe(0);
    await queue.close();
  });

  it('answers 503 with redis down when Redis goes away, and recovers when it is back', async () => {
    await redis.server.stop();
    const down = await health(gateway.url);
    expect(down.status).toBe(503);
    expect(down.body.checks.redis.state).toBe('down');
    expect(down.body.checks.postgres.state).toBe('ok');

    await redis.server.start();
    await expect.poll(async () => (await health(gateway.url)).body.checks.redis.state, { timeout: 15_000 }).toBe('ok');
  });
});

describe('GET /api/health and start-up on the s3 driver, against the run\u2019s Ceph RGW', () => {
  it('names the driver and the endpoint when the store is fine', async () => {
    const gw = await startTestGateway('s3');
    try {
      const { body } = await health(gw.url);
      expect(body.checks.storage).toEqual({ state: 'ok', driver: 's3', endpoint: s3Of(gw.config).endpoint });
    } finally {
      await gw.stop();
    }
  });

  it('S3 gone while running: 503 with one line naming the endpoint and the network error', async () => {
    const proxy = await new TcpHop({ port: Number(new URL(inject('s3').endpoint).port) }).open();
    const gw = await startTestGateway('s3', { S3_ENDPOINT: proxy.endpoint });
    try {
      expect((await health(gw.url)).body.checks.storage.state).toBe('ok');
      await proxy.cut();
      const { status, body } = await health(gw.url);
      expect(status).toBe(503);
      expect(body.checks.storage).toEqual({
        state: 'down',
        driver: 's3',
        endpoint: proxy.endpoint,
        detail: `object storage at ${proxy.endpoint} is unreachable (ECONNREFUSED) when trying to look up bucket "${s3Of(gw.config).bucket}": is the S3 service (minio in compose) up, and is S3_ENDPOINT right?`,
      });
    } finally {
      await gw.stop();
    }
  });

  it('the store filling up while running: 503 saying it is full, with the S3 code and the endpoint', async () => {
    const user = await createS3User('health-full', { maxBytes: 64 * 1024 });
    const gw = await startTestGateway('s3', { S3_ACCESS_KEY: user.accessKey, S3_SECRET_KEY: user.secretKey });
    const { endpoint, bucket } = s3Of(gw.config);
    try {
      await s3Client(user).putObject(bucket, 'filler', Buffer.alloc(64 * 1024));
      await expect.poll(async () => (await health(gw.url)).body.checks.storage.detail, { timeout: 30_000 }).toMatch(
        new RegExp(`^object storage at ${escape(endpoint)} is full \\(\\w+\\) when trying to write a probe object to bucket "${bucket}": free space there, or raise the quota of the S3 user$`),
      );
    } finally {
      await gw.stop();
      await removeBucket(s3Client(user), bucket);
    }
  });

  it('bad credentials, a full store, a bucket that is missing and cannot be made: the gateway does not start, and says why in one line each', async () => {
    const startFails = async (env: Record<string, string>) => {
      const error = (await startTestGateway('s3', env).then(
        async (gw) => {
          await gw.stop();
          return new Error('the gateway started');
        },
        (e: unknown) => e,
      )) as Error;
      expect(error.message).not.toContain('\n');
      expect(error.stack ?? '').not.toContain(env.S3_SECRET_KEY ?? '\0');
      return error.message;
    };
    const { endpoint } = inject('s3');
    const at = escape(endpoint);

    expect(await startFails({ S3_SECRET_KEY: 'not-the-secret' })).toMatch(
      new RegExp(`^S3_ENDPOINT: object storage is not usable: object storage at ${at} refused the credentials \\(\\w+\\) when trying to look up bucket "t-\\w+": check S3_ACCESS_KEY and S3_SECRET_KEY$`),
    );

    const full = await createS3User('start-full', { maxBytes: 1 });
    const fullBucket = `t-full-${Date.now()}`;
    expect(await startFails({ S3_ACCESS_KEY: full.accessKey, S3_SECRET_KEY: full.secretKey, S3_BUCKET: fullBucket })).toMatch(
      new RegExp(`^S3_ENDPOINT: object storage is not usable: object storage at ${at} is full \\(\\w+\\) when trying to write a probe object to bucket "${fullBucket}": free space there, or raise the quota of the S3 user$`),
    );
    await removeBucket(s3Client(full), fullBucket);

    const oneBucket = await createS3User('start-one-bucket', { maxBuckets: 1 });
    const owned = `t-owned-${Date.now()}`;
    await s3Client(oneBucket).makeBucket(owned, 'us-east-1');
    const missing = `t-missing-${Date.now()}`;
    expect(await startFails({ S3_ACCESS_KEY: oneBucket.accessKey, S3_SECRET_KEY: oneBucket.secretKey, S3_BUCKET: missing })).toMatch(
      new RegExp(
        `^S3_ENDPOINT: object storage is not usable: bucket "${missing}" does not exist at ${at}, and creating it failed \\(\\w+[^)]*\\): create it yourself, or let these credentials create buckets, or check S3_BUCKET and S3_REGION$`,
      ),
    );
    await removeBucket(s3Client(oneBucket), owned);
  });
});

function s3Of(config: Config): Extract<Config['storage'], { driver: 's3' }> {
  if (config.storage.driver !== 's3') throw new Error('not on the s3 driver');
  return config.storage;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
