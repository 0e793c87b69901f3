import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntryDto, MediaDetails } from '@nebula/contract';
import { loadConfig } from '@nebula/shared';
import { createLogger } from '@nebula/shared/runtime';
import { createTestDatabase, startRedis, tempDir } from '../../ops/test-support/services';
import { tusUpload as upload } from '../../ops/test-support/tus-upload';
import { createGateway } from '../../server/src/gateway';
import { MediaRepository } from '../src/media/media.repository';

/**
 * A client that polls a file's media sees it ready only with its attempt ended: the worker writes
 * both in one transaction. (They were two writes, and a poll between them, as ops/test/media-pipeline
 * did once in CI, saw a ready video whose last attempt still ran.)
 */
describe('the end of a media job (real gateway, Postgres; the worker repository)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let gateway: INestApplication;
  let source: DataSource;
  let url: string;

  beforeAll(async () => {
    [db, redis, dir] = await Promise.all([createTestDatabase(), startRedis(), tempDir()]);
    const config = loadConfig({ DATABASE_URL: db.url, REDIS_URL: redis.url, NEBULA_DATA_DIR: dir.path, NEBULA_METRICS_PORT: '0' });
    gateway = await createGateway(config, createLogger('gateway', 'fatal'));
    await gateway.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(gateway.getHttpServer().address() as { port: number }).port}`;
    source = await new DataSource({ type: 'postgres', url: db.url }).initialize();
  });

  afterAll(async () => {
    await source?.destroy();
    await gateway?.close();
    await redis?.stop();
    await db?.drop();
    await dir?.remove();
  });

  const media = async (id: string) => (await (await fetch(`${url}/api/files/${id}/media`)).json()) as MediaDetails;

  it('marks the file ready and its attempt succeeded in one write: a reader in between sees neither', async () => {
    // No worker runs: the job waits in Redis, and this test plays the worker's part through its repository.
    writeFileSync(join(dir.path, 'clip.mp4'), 'the bytes do not matter here');
    await upload(url, join(dir.path, 'clip.mp4'), 'clip.mp4');
    const entry = (await (await fetch(`${url}/api/files/lookup?path=/clip.mp4`)).json()) as EntryDto;
    const repository = new MediaRepository(source);
    const attemptId = await repository.startAttempt({ fileId: entry.id, jobId: 'job-1', attempt: 1, runId: 'r1', workerId: 'test-worker' });
    await repository.setState(entry.id, 'processing', null, { type: 'media.started', data: { attempt: 1, runId: 'r1', workerId: 'test-worker' } });

    // Another session holds the attempt's row, so the worker's write waits on it halfway through.
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM media_attempts WHERE id = $1 FOR UPDATE', [attemptId]);
      const ending = repository.setState(
        entry.id,
        'ready',
        null,
        { type: 'media.ready', data: { runId: 'r1', accelPath: 'software', rungs: ['640x360'], topRung: 'encoded', hls: `/hls/${entry.id}/master.m3u8` } },
        { attemptId, result: { status: 'succeeded', accelPath: 'software', error: null, steps: [{ path: 'software' }] } },
      );
      await expect
        .poll(async () => (await holder.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`)).rows[0].n, { timeout: 10_000 })
        .toBe(1);

      const between = await media(entry.id);
      expect(between.status).toBe('processing');
      expect(between.attempts.map((a) => a.status)).toEqual(['running']);

      await holder.query('COMMIT');
      expect(await ending).toBe(true);
    } finally {
      await holder.end();
    }
    const after = await media(entry.id);
    expect(after.status).toBe('ready');
    expect(after.attempts).toMatchObject([{ status: 'succeeded', accelPath: 'software', steps: [{ path: 'software' }] }]);
  });
});
