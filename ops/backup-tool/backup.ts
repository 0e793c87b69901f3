import { existsSync, rmSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { dumpDatabase } from './database-dump';
import { assertNotInterrupted, undoOnInterrupt } from './interruption';
import { MANIFEST, sha256Of, sizeOf, type Manifest } from './manifest';
import { copyObjectsOut } from './object-copy';
import { BackupError, openStack, type StackKind } from './stack';
import { describeFailure, say } from './output';

const USAGE = `usage: ops/backup [<dest-dir>]

Backs up the Nebula of \`npm start\` (running or stopped; or the one DATABASE_URL names) into
<dest-dir>/<UTC time>/ (default: backups/ in the data folder): database.jsonl.gz, objects/, manifest.json.
For the Docker Compose stack: ops/backup --compose [<dest-dir>].`;

/** 2026-11-30T21:15:00.000Z -> 2026-11-30T21-15-00Z: sortable, and no colons for other file systems. */
export function backupName(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

export async function backup(args: string[], env: NodeJS.ProcessEnv, root: string): Promise<string> {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return '';
  }
  // --compose: run by ops/backup --compose inside the compose stack (compose.sh).
  const kind: StackKind = args.includes('--compose') ? 'compose' : 'embedded';
  const rest = args.filter((a) => a !== '--compose');
  const unknown = rest.find((a) => a.startsWith('-'));
  if (unknown) throw new BackupError(`unknown option ${unknown}\n${USAGE}`);
  if (rest.length > 1) throw new BackupError(`one destination folder at most, got ${rest.length}\n${USAGE}`);

  const now = new Date();
  // The default lives under the data folder: never in git, never in a Docker build context.
  const dest = resolve(rest[0] ?? join(resolve(env.NEBULA_DATA_DIR || join(root, 'data')), 'backups'));
  const final = join(dest, backupName(now));
  if (existsSync(final)) throw new BackupError(`${final} already exists`);
  // Built beside its final name and renamed when complete: a folder with that name is a whole backup.
  const partial = `${final}.partial`;
  // Registered before the stack's own step, so it runs last: synchronously, with nothing of the
  // run left to write into the folder between it and the exit. Only a folder this run made is
  // removed: two runs in the same second must not remove each other's.
  let created = false;
  const forgetPartial = undoOnInterrupt(() => {
    if (created) rmSync(partial, { recursive: true, force: true });
  });
  const stack = await openStack(env, root, say, kind).catch((error: unknown) => {
    forgetPartial();
    throw error;
  });
  try {
    await mkdir(dest, { recursive: true });
    await mkdir(partial).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'EEXIST' ? new BackupError(`${partial} exists: another ops/backup is writing it (or one was killed: remove it)`) : error;
    });
    created = true;
    say(`backing up ${stack.description}`);
    const dumpFile = join(partial, 'database.jsonl.gz');
    const dump = await dumpDatabase(stack.databaseUrl, dumpFile);
    say(`database: ${Object.entries(dump.tables).map(([t, n]) => `${n} ${t}`).join(', ')}`);
    const objects = await copyObjectsOut(stack.storage, dump.fileIds, join(partial, 'objects'));
    say(`objects: ${objects.count} (${objects.bytes} bytes)${objects.skipped ? `; ${objects.skipped} left out, of uploads that finished after the database snapshot` : ''}`);
    if (objects.missing?.length) {
      say(`warning: ${objects.missing.length} file(s) of the database snapshot had no original to copy (deleted while the backup ran?): ${objects.missing.join(', ')}`);
    }
    const manifest: Manifest = {
      nebulaBackup: 1,
      createdAt: now.toISOString(),
      source: kind,
      database: {
        file: 'database.jsonl.gz',
        format: 'nebula-jsonl',
        bytes: await sizeOf(dumpFile),
        sha256: await sha256Of(dumpFile),
        tables: dump.tables,
        migrations: dump.migrations,
      },
      objects: { dir: 'objects', count: objects.count, bytes: objects.bytes, skipped: objects.skipped, missing: objects.missing ?? [] },
    };
    await mkdir(join(partial, 'objects'), { recursive: true });
    await writeFile(join(partial, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    // On disk before it gets the name that says "complete": after a power cut, a folder with that
    // name must not hold files the kernel had not written yet.
    await fsyncTree(partial);
    assertNotInterrupted();
    await rename(partial, final);
    say(`backup written to ${final}`);
    return final;
  } catch (error) {
    if (created) await rm(partial, { recursive: true, force: true });
    throw (error as NodeJS.ErrnoException).code === 'ENOSPC' ? new BackupError(`${describeFailure(error)}; the unfinished backup was removed`) : error;
  } finally {
    forgetPartial();
    await stack.close();
  }
}

/** fsync every file and folder under `dir`, and `dir` itself. */
async function fsyncTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await fsyncTree(path);
    else if (entry.isFile()) await fsyncPath(path);
  }
  await fsyncPath(dir);
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
