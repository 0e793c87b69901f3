import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { freePort } from '../embedded/processes';
import { RedisServer } from '../embedded/redis-server';
import { startWatchdog } from './watchdog';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser URL of the real Postgres that this test run started (global-setup.ts); each test file makes its own database. */
    postgresAdminUrl: string;
  }
}

/** A fresh, empty database on the run's real Postgres; dropped by the returned function. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = inject('postgresAdminUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  await withClient(admin, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withClient(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** A real redis-server of this test file's own, on a free loopback port. */
export async function startRedis(): Promise<{ url: string; server: RedisServer; stop: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'nebula-test-redis-'));
  const server = new RedisServer({ dir, port: await freePort(), appendOnly: false, logFile: join(dir, 'redis.log') });
  await server.start();
  // In a session of its own, it would outlive a run ended by Ctrl-C (a test may restart it: its pid file follows).
  const watchdog = startWatchdog(dir);
  watchdog.watchPidFile(join(dir, 'redis.pid'));
  return {
    url: server.url,
    server,
    stop: async () => {
      watchdog.disarm();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function tempDir(prefix = 'nebula-test-'): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  await chmod(path, 0o755);
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

async function withClient<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export { makeRandomFile } from './random-file';
