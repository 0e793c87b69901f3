import { resolve } from 'node:path';
import { backup } from './backup';
import { describeFailure } from './output';
import { restore } from './restore';

/** `tsx ops/backup-tool/cli.ts backup|restore ...`, what ops/backup and ops/restore run for the embedded stack. */
const [command, ...args] = process.argv.slice(2);
const root = resolve(import.meta.dirname, '..', '..');
const run = command === 'backup' ? backup(args, process.env, root) : command === 'restore' ? restore(args, process.env, root) : Promise.reject(new Error(`unknown command ${command ?? ''}: backup or restore`));
run.then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`ops/${command}: ${describeFailure(error)}\n`);
    process.exit(1);
  },
);
