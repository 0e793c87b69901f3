import { stat } from 'node:fs/promises';
import { loadConfig } from '@nebula/shared';

/** The container healthcheck: healthy while the heartbeat file is fresher than 30 s. */
const MAX_AGE_MS = 30_000;
const file = loadConfig().worker.heartbeatFile;
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
