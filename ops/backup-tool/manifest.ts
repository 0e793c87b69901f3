import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BackupError } from './stack';

/**
 * manifest.json, beside the dump and the objects folder of every backup: what it holds, when it
 * was made, and the sha256 the restore checks the dump against. ops/backup --compose writes the
 * same shape from shell.
 */
export interface Manifest {
  nebulaBackup: 1;
  createdAt: string;
  /** `embedded`: ops/backup on `npm start`'s stack (or DATABASE_URL); `compose`: ops/backup --compose. */
  source: 'embedded' | 'compose';
  database: {
    file: string;
    /** nebula-jsonl: this tool's row dump; pg_dump-custom: `pg_dump --format=custom`. */
    format: 'nebula-jsonl' | 'pg_dump-custom';
    bytes: number;
    sha256: string;
    /** Rows per table (nebula-jsonl only). */
    tables?: Record<string, number>;
    /** The schema migrations the backed-up Nebula had applied (nebula-jsonl only). */
    migrations?: string[];
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
  const dump = join(dir, manifest.database.file);
  if (!existsSync(dump)) throw new BackupError(`the backup is incomplete: ${dump} is missing`);
  const sha256 = await sha256Of(dump);
  if (sha256 !== manifest.database.sha256) {
    throw new BackupError(`the database dump ${dump} is damaged: its sha256 is ${sha256}, the manifest says ${manifest.database.sha256}`);
  }
  return manifest;
}
