import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { PostgresServer } from '../embedded/postgres-server';
import { freePort } from '../embedded/processes';
import { startWatchdog } from './watchdog';

import './services';

/** One real Postgres for the whole run (initdb ≈ 1 s); test files isolate themselves by database. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'nebula-test-pg-'));
  // When tests run as root, Postgres runs as the `postgres` user, which must be able to enter this folder.
  await chmod(dir, 0o755);
  const postgres = new PostgresServer({ dataDir: join(dir, 'data'), port: await freePort(), user: 'nebula', password: 'test' });
  await postgres.initialise();
  await postgres.start();
  // pg_ctl starts Postgres in a session of its own: a run ended by Ctrl-C (no teardown) would leave it.
  const watchdog = startWatchdog(dir);
  watchdog.watchPidFile(join(dir, 'data', 'postmaster.pid'), 'INT');
  project.provide('postgresAdminUrl', postgres.url('postgres'));
  return async () => {
    watchdog.disarm();
    await postgres.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
