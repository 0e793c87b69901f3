import { createReadStream, createWriteStream, type Dirent } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createObjectStorage, type ObjectStorage } from '@nebula/shared/storage';
import type { StorageConfig } from '@nebula/shared';

export interface CopySummary {
  count: number;
  bytes: number;
  /** Objects left out: they belong to no file of the database snapshot (an upload that finished after it). */
  skipped: number;
  /** Files of the snapshot whose original was not there to copy: deleted while the backup ran. */
  missing?: string[];
}

/**
 * The file an object belongs to, from the key layout in @nebula/shared's storageKeys:
 * originals/<id>, hls/<id>/..., posters/<id>.jpg. Null for keys outside that layout.
 */
export function fileIdOf(key: string): string | null {
  const match = /^(?:originals\/([^/.]+)(?:\..*)?|hls\/([^/]+)\/.+|posters\/([^/.]+)\.jpg)$/.exec(key);
  return match ? (match[1] ?? match[2] ?? match[3] ?? null) : null;
}

/**
 * Copies every object of the files in the snapshot into `dir`, one plain file per key (the fs
 * driver's layout, whichever driver the stack uses), streaming each. Objects of files the
 * snapshot does not know (uploads that finished while the dump ran) are left out, so the backup
 * is the database's moment; objects outside Nebula's key layout are copied as they are.
 */
export async function copyObjectsOut(config: StorageConfig, fileIds: Set<string>, dir: string): Promise<CopySummary> {
  const storage = createObjectStorage(config);
  const summary: CopySummary = { count: 0, bytes: 0, skipped: 0 };
  const copied = new Set<string>();
  for await (const object of storage.list('')) {
    if (isUploadState(object.key)) continue;
    const id = fileIdOf(object.key);
    if (id !== null && !fileIds.has(id)) {
      summary.skipped++;
      continue;
    }
    const target = join(dir, ...object.key.split('/'));
    await mkdir(dirname(target), { recursive: true });
    try {
      await pipeline(await storage.get(object.key), createWriteStream(target, { flags: 'wx' }));
    } catch (error) {
      // Deleted between the listing and the read: a file removed while the backup ran.
      if ((error as Error).name === 'ObjectNotFoundError') {
        summary.skipped++;
        continue;
      }
      throw error;
    }
    summary.count++;
    summary.bytes += (await stat(target)).size;
    if (id !== null && object.key.startsWith('originals/')) copied.add(id);
  }
  summary.missing = [...fileIds].filter((id) => !copied.has(id));
  return summary;
}

/**
 * tus keeps an upload's state beside its object with the s3 driver: originals/<id>.info (its
 * metadata) and, while it runs, originals/<id>.part (the tail too small for an S3 part), both from
 * @tus/s3-store. They are no object of any file: a restored upload cannot resume (its client's
 * session and its S3 multipart parts are gone), and a finished one needs neither.
 */
export function isUploadState(key: string): boolean {
  return /^originals\/[^/]+\.(?:info|part)$/.test(key);
}

/** True when the storage holds no object at all. */
export async function isEmpty(storage: ObjectStorage): Promise<boolean> {
  for await (const _object of storage.list('')) return false;
  return true;
}

/** How many files, of how many bytes, a backup's objects folder holds (none when it is missing). */
export async function folderContents(dir: string): Promise<{ count: number; bytes: number }> {
  const found = { count: 0, bytes: 0 };
  for await (const path of walk(dir)) {
    found.count++;
    found.bytes += (await stat(path)).size;
  }
  return found;
}

/**
 * Puts every file under `dir` back as the object of the same key, into a storage the caller
 * found empty; with `replace`, whatever it holds is deleted first.
 */
export async function copyObjectsIn(config: StorageConfig, dir: string, replace: boolean): Promise<CopySummary> {
  const storage = createObjectStorage(config);
  if (replace) await storage.deletePrefix('');
  const summary: CopySummary = { count: 0, bytes: 0, skipped: 0 };
  for await (const path of walk(dir)) {
    const key = relative(dir, path).split(sep).join('/');
    const { size } = await storage.put(key, createReadStream(path));
    summary.count++;
    summary.bytes += size;
  }
  return summary;
}

async function* walk(dir: string): AsyncIterable<string> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}
