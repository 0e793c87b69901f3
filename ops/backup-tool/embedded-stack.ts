import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '@nebula/shared';
import { PostgresServer } from '../embedded/postgres-server';
import { commandLine, freePort } from '../embedded/processes';
import { processRuns } from '@nebula/shared/runtime';
import type { StackFile } from '../embedded/supervisor';
import { undoOnInterrupt } from './interruption';
import { BackupError, type Stack } from './stack';

const EMBEDDED_DATABASE = 'nebula';
const EMBEDDED_USER = 'nebula';

/**
 * The embedded stack of `npm start` on NEBULA_DATA_DIR (default ./data of the repository), objects
 * under data/objects. Running: its Postgres port from data/run/stack.json and its password from
 * data/embedded-secrets.json. Stopped: its Postgres is started alone on a free loopback port for
 * as long as the backup or restore takes (close() stops it again).
 */
export async function openEmbeddedStack(env: NodeJS.ProcessEnv, root: string, say: (line: string) => void): Promise<Stack> {
  const dataDir = resolve(env.NEBULA_DATA_DIR || join(root, 'data'));
  const secretsFile = join(dataDir, 'embedded-secrets.json');
  const clusterDir = join(dataDir, 'postgres_data');
  if (!existsSync(secretsFile) || !existsSync(join(clusterDir, 'PG_VERSION'))) {
    throw new BackupError(
      `no Nebula found in ${dataDir} (it has no embedded-secrets.json and postgres_data/ of \`npm start\`): set NEBULA_DATA_DIR to the data folder ` +
        'Nebula runs on, start a new one there with `npm start` to restore into, set DATABASE_URL for one run by hand, or use --compose for the Docker Compose stack',
    );
  }
  const { postgresPassword } = JSON.parse(readFileSync(secretsFile, 'utf8')) as { postgresPassword: string };
  const { storage } = loadConfig({ ...env, NEBULA_DATA_DIR: dataDir, DATABASE_URL: 'postgres://127.0.0.1/nebula', REDIS_URL: 'redis://127.0.0.1:6379', NEBULA_STORAGE_DRIVER: 'fs' });
  const stackFile = join(dataDir, 'run', 'stack.json');
  let port: number;
  let close = async () => undefined as void;
  let description: string;
  let stack = existsSync(stackFile) ? (JSON.parse(readFileSync(stackFile, 'utf8')) as StackFile) : null;
  // A stack file outlives an `npm start` that was killed or lost its power: it counts only while
  // the process that wrote it runs (as the supervisor itself checks before it starts).
  if (stack && !(processRuns(stack.supervisorPid) && (await commandLine(stack.supervisorPid)).includes('node'))) {
    say(`ignoring ${stackFile}: the \`npm start\` that wrote it (pid ${stack.supervisorPid}) is not running`);
    stack = null;
  }
  if (stack) {
    port = stack.postgres.port;
    description = `the running Nebula of \`npm start\` on ${dataDir} (${stack.url})`;
  } else {
    // Stopped: only Postgres is needed, and only for this run. While it runs, `npm start` on the
    // same folder would fail to start its own; it is stopped again before this returns.
    port = await freePort();
    const postgres = new PostgresServer({ dataDir: clusterDir, port, user: EMBEDDED_USER, password: postgresPassword });
    say(`Nebula is not running on ${dataDir}: starting its Postgres alone (127.0.0.1:${port}) for this run`);
    // Registered before it starts: a Ctrl-C during the start waits for it, then stops it.
    let starting: Promise<void> = Promise.resolve();
    const forget = undoOnInterrupt(async () => {
      await starting.catch(() => undefined);
      await postgres.stop();
    });
    starting = postgres.start();
    await starting.catch((error: unknown) => {
      forget();
      throw error;
    });
    close = async () => {
      forget();
      await postgres.stop();
    };
    description = `the stopped Nebula of \`npm start\` on ${dataDir}`;
  }
  const databaseUrl = `postgres://${EMBEDDED_USER}:${encodeURIComponent(postgresPassword)}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`;
  return { databaseUrl, storage, description, close };
}
