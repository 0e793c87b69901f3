import { resolve } from 'node:path';
import { backup } from './backup';
import { undoEverything } from './interruption';
import { describeFailure } from './output';
import { restore } from './restore';

/**
 * `cli.ts backup|restore ...`: what ops/backup and ops/restore run, on the host for the embedded
 * stack (node with tsx as its loader) and, bundled into the gateway's image (build.mjs), in a
 * one-off container of the compose stack (`--compose`).
 */
const [command, ...args] = process.argv.slice(2);
const root = resolve(import.meta.dirname, '..', '..');

// Ctrl-C or SIGTERM (systemd, cron's timeout): stop the Postgres this run started and remove the
// unfinished backup folder, then exit as a shell reports the signal (128 + its number). A second
// signal while that runs exits at once.
let stopping = false;
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(code);
    stopping = true;
    // A restore undoes nothing it has written: its database load is one transaction, its objects are not.
    const what = command === 'restore' ? 'stopping; what is restored so far stays (run the restore again with --force)' : 'stopping, and undoing what this run started';
    process.stderr.write(`ops/${command}: ${signal}: ${what}\n`);
    void undoEverything().finally(() => process.exit(code));
  });
}

const run = command === 'backup' ? backup(args, process.env, root) : command === 'restore' ? restore(args, process.env, root) : Promise.reject(new Error(`unknown command ${command ?? ''}: backup or restore`));
run.then(
  () => {
    if (!stopping) process.exit(0);
  },
  (error: unknown) => {
    // Interrupted: the run failing now is the signal's doing; the handler above exits.
    if (stopping) return;
    process.stderr.write(`ops/${command}: ${describeFailure(error)}\n`);
    process.exit(1);
  },
);
