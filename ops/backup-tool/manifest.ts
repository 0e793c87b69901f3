import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BackupError, type StackKind } from './stack';

/**
 * manifest.json, beside the dump and the objects folder of every backup: what it holds, when it
 * was made, and the sha256 the restore checks the dump against. One format for every stack: a
 * backup of the compose stack restores into an embedded one and back.
 */
export interface Manifest {
  nebulaBackup: 1;
  createdAt: string;
  /** Where it was made (for the reader; any backup restores into either): `embedded`: ops/backup on `npm start`'s stack (or DATABASE_URL); `compose`: ops/backup --compose. */
  source: StackKind;
  database: {
    file: string;
    /** Gzipped JSON lines of every table's rows (database-dump.ts). */
    format: 'nebula-jsonl';
    bytes: number;
    sha256: string;
    /** Rows per table. */
    tables: Record<string, number>;
    /** The schema migrations the backed-up Nebula had applied. */
    migrations: string[];
  };
  /** skipped: objects of uploads newer than the database snapshot; missing: ids of files whose original was gone (deleted meanwhile). */
  objects: { dir: string; count: number; bytes: number; skipped?: number; missing?: string[] };
}

export const MANIFEST = 'manifest.json';

export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

export async function sizeOf(path: string): Promise<number> {
  return (await stat(path)).size;
}

/** Reads a backup's manifest and proves the dump is the one it describes. */
export async function readBackup(dir: string): Promise<Manifest> {
  const file = join(dir, MANIFEST);
  if (!existsSync(file)) throw new BackupError(`${dir} is not a Nebula backup: it has no ${MANIFEST}`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  } catch (error) {
    throw new BackupError(`${file} is not valid JSON (${(error as Error).message})`);
  }
  if (manifest.nebulaBackup !== 1) throw new BackupError(`${file} is not a manifest this Nebula reads (nebulaBackup: ${String(manifest.nebulaBackup)})`);
  if ((manifest.database?.format as string) === 'pg_dump-custom') {
    // What ops/backup --compose wrote before it ran this tool: a pg_dump and a mirror of the bucket.
    throw new BackupError(
      `${dir} is a pg_dump backup of an older ops/backup --compose, which this one no longer reads: restore it with ops/restore --compose of the Nebula release that made it, then back up again`,
    );
  }
  if (manifest.database?.format !== 'nebula-jsonl') throw new BackupError(`${file} describes a database dump this Nebula does not read (format: ${String(manifest.database?.format)})`);
  const dump = join(dir, manifest.database.file);
  if (!existsSync(dump)) throw new BackupError(`the backup is incomplete: ${dump} is missing`);
  const sha256 = await sha256Of(dump);
  if (sha256 !== manifest.database.sha256) {
    throw new BackupError(`the database dump ${dump} is damaged: its sha256 is ${sha256}, the manifest says ${manifest.database.sha256}`);
  }
  return manifest;
}
