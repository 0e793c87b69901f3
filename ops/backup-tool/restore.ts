import { join, resolve } from 'node:path';
import { createObjectStorage } from '@nebula/shared/storage';
import { checkDatabase, loadDatabase, unfinishedMedia } from './database-dump';
import { readBackup, type Manifest } from './manifest';
import { copyObjectsIn, folderContents, isEmpty, type CopySummary } from './object-copy';
import { describeFailure, say } from './output';
import { BackupError, openStack, type Stack, type StackKind } from './stack';

const USAGE = `usage: ops/restore [--force] [--check] <backup-dir>

Restores a backup made by ops/backup (of either stack) into the running Nebula of \`npm start\`
(or the one DATABASE_URL names). That Nebula must be empty (no files, no events, no objects):
start a new one on an empty NEBULA_DATA_DIR. --force replaces whatever it holds instead.
--check makes every check and writes nothing.
For the Docker Compose stack: ops/restore --compose [--force] <backup-dir>.`;

const OPTIONS = ['--force', '--check', '--compose'];

export async function restore(args: string[], env: NodeJS.ProcessEnv, root: string): Promise<void> {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const force = args.includes('--force');
  const checkOnly = args.includes('--check');
  const kind: StackKind = args.includes('--compose') ? 'compose' : 'embedded';
  const rest = args.filter((a) => !OPTIONS.includes(a));
  const unknown = rest.find((a) => a.startsWith('-'));
  if (unknown) throw new BackupError(`unknown option ${unknown}\n${USAGE}`);
  if (rest.length !== 1) throw new BackupError(`name one backup folder (like backups/2026-11-30T21-15-00Z)\n${USAGE}`);
  const dir = resolve(rest[0]!);

  const manifest = await readBackup(dir);
  const stack = await openStack(env, root, say, kind);
  try {
    await restoreInto(stack, dir, manifest, force, checkOnly);
  } finally {
    await stack.close();
  }
}

async function restoreInto(stack: Stack, dir: string, manifest: Manifest, force: boolean, checkOnly: boolean): Promise<void> {
  if (!checkOnly) say(`restoring ${dir} (made ${manifest.createdAt} from the ${manifest.source} stack) into ${stack.description}`);
  // Every check before anything is written: a refused restore changes nothing.
  const objectsDir = join(dir, manifest.objects.dir);
  const present = await folderContents(objectsDir);
  if (present.count !== manifest.objects.count || present.bytes !== manifest.objects.bytes) {
    throw new BackupError(
      `the backup is incomplete: ${objectsDir} holds ${present.count} objects (${present.bytes} bytes), the manifest says ${manifest.objects.count} (${manifest.objects.bytes} bytes)`,
    );
  }
  const empty = await isEmpty(createObjectStorage(stack.storage));
  if (!force && !empty) {
    throw new BackupError('the object storage is not empty: restore into an empty Nebula, or pass --force to replace what it holds');
  }
  const load = { force, migrations: manifest.database.migrations };
  if (checkOnly) {
    await checkDatabase(stack.databaseUrl, load);
    return;
  }
  const tables = await loadDatabase(stack.databaseUrl, join(dir, manifest.database.file), load);
  say(`database: ${Object.entries(tables).map(([t, n]) => `${n} ${t}`).join(', ')}`);
  let objects: CopySummary;
  try {
    objects = await copyObjectsIn(stack.storage, objectsDir, !empty);
  } catch (error) {
    // The database is in already: say so, and how to finish (a second run replaces both again).
    throw new BackupError(`the database is restored, but putting the objects back failed (${describeFailure(error)}): run the same ops/restore again with --force to finish`);
  }
  say(`objects: ${objects.count} (${objects.bytes} bytes)`);
  const unfinished = await unfinishedMedia(stack.databaseUrl);
  if (unfinished.length > 0) {
    say(`${unfinished.length} video(s) were waiting for or in the middle of their transcode when the backup was made; start them again with:`);
    for (const { eventId, path } of unfinished) say(`  nebula replay ${eventId}   # ${path}`);
  }
  say('restored');
}

