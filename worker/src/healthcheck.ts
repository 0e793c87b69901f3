import { stat } from 'node:fs/promises';
import { loadConfig } from '@nebula/shared';

/** The container healthcheck: healthy while the heartbeat file is fresher than 30 s. */
const MAX_AGE_MS = 30_000;
// Only the heartbeat file matters here: a node that joins a server has no REDIS_URL in its environment.
const file = loadConfig({ DATABASE_URL: 'postgres://unused', REDIS_URL: 'redis://unused', NEBULA_WORKER_HEARTBEAT_FILE: process.env.NEBULA_WORKER_HEARTBEAT_FILE }).worker.heartbeatFile;
stat(file).then(
  (s) => {
    const age = Date.now() - s.mtimeMs;
    if (age > MAX_AGE_MS) {
      process.stderr.write(`worker heartbeat is ${Math.round(age / 1000)} s old (${file})\n`);
      process.exit(1);
    }
  },
  () => {
    process.stderr.write(`no worker heartbeat at ${file}\n`);
    process.exit(1);
  },
);
