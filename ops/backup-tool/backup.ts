import { existsSync, rmSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { dumpDatabase } from './database-dump';
import { assertNotInterrupted, undoOnInterrupt } from './interruption';
import { MANIFEST, sha256Of, sizeOf, type Manifest } from './manifest';
import { copyObjectsOut } from './object-copy';
import { BackupError, openStack } from './stack';
import { say } from './output';

const USAGE = `usage: ops/backup [<dest-dir>]

Backs up the running Nebula of \`npm start\` (or the one DATABASE_URL names) into
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
  const unknown = args.find((a) => a.startsWith('-'));
  if (unknown) throw new BackupError(`unknown option ${unknown}\n${USAGE}`);
  if (args.length > 1) throw new BackupError(`one destination folder at most, got ${args.length}\n${USAGE}`);

  const now = new Date();
  // The default lives under the data folder: never in git, never in a Docker build context.
  const dest = resolve(args[0] ?? join(resolve(env.NEBULA_DATA_DIR || join(root, 'data')), 'backups'));
  const final = join(dest, backupName(now));
  if (existsSync(final)) throw new BackupError(`${final} already exists`);
  // Built beside its final name and renamed when complete: a folder with that name is a whole backup.
  const partial = `${final}.partial`;
  // Registered before the stack's own step, so it runs last: synchronously, with nothing of the
  // run left to write into the folder between it and the exit.
  const forgetPartial = undoOnInterrupt(() => rmSync(partial, { recursive: true, force: true }));
  const stack = await openStack(env, root, say).catch((error: unknown) => {
    forgetPartial();
    throw error;
  });
  try {
    await mkdir(partial, { recursive: true });
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
      source: 'embedded',
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
    assertNotInterrupted();
    await rename(partial, final);
    say(`backup written to ${final}`);
    return final;
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  } finally {
    forgetPartial();
    await stack.close();
  }
}

