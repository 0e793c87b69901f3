import { FileStore } from '@tus/file-store';
import type { DataStore } from '@tus/utils';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectStorage } from '@nebula/shared/storage';
import { AtomicFileKvStore, UPLOAD_RECORDS } from './tus-store.factory';

/**
 * tus' own bookkeeping of an upload, which holds its file name and folder: with the fs driver a
 * `<id>.json` record under data/uploads (@tus/file-store's FileKvStore); with the s3 driver an
 * `uploads/<id>.info` object (@tus/s3-store keeps it, tagged Tus-Completed, after the upload
 * finished) and, while a PATCH's tail is shorter than a part, an `uploads/<id>.part` object (see
 * ExplainedS3Store in tus-store.factory.ts for why they sit under uploads/).
 * Nebula's database is the record of a finished file, so these go once an upload is finished,
 * refused, terminated or expired.
 */
export class UploadRecords {
  constructor(
    private readonly store: DataStore,
    private readonly storage: ObjectStorage,
    /** The fs driver's records folder (data/uploads). */
    private readonly recordsDir: string,
  ) {}

  /** Removes what tus keeps about `uploadId` (never the upload's bytes); nothing there is fine. */
  async forget(uploadId: string): Promise<void> {
    if (this.store instanceof FileStore) {
      await this.store.configstore.delete(uploadId).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      return;
    }
    await this.storage.delete(`${UPLOAD_RECORDS}${uploadId}.info`);
    await this.storage.delete(`${UPLOAD_RECORDS}${uploadId}.part`);
  }

  /**
   * Whether tus has a record of `uploadId`: false only when it surely has none; a store that cannot
   * be asked (S3 down, a disk error) throws.
   */
  async exists(uploadId: string): Promise<boolean> {
    if (this.store instanceof FileStore) {
      // Where @tus/utils' FileKvStore keeps it: <records>/<id>.json.
      return stat(join(this.recordsDir, `${uploadId}.json`)).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return false;
          throw error;
        },
      );
    }
    return (await this.storage.stat(`${UPLOAD_RECORDS}${uploadId}.info`)) !== null;
  }

  /**
   * Removes the half-written copies of records that a gateway killed mid-write left in the fs
   * driver's records folder, if older than `before` (AtomicFileKvStore.removeAbandonedWrites).
   * The s3 store writes its records as whole objects: nothing to remove there.
   */
  async removeAbandonedWrites(before: Date): Promise<number> {
    if (!(this.store instanceof FileStore) || !(this.store.configstore instanceof AtomicFileKvStore)) return 0;
    return this.store.configstore.removeAbandonedWrites('originals', before);
  }

  /**
   * Upload ids (`originals/<id>`) with a tus record older than `before`, for the janitor to check
   * against the database: records whose upload ended without our noticing (a crash, an older
   * version of Nebula) would otherwise stay forever.
   */
  async *olderThan(before: Date): AsyncIterable<string> {
    if (this.store instanceof FileStore) {
      const dir = join(this.recordsDir, 'originals');
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        if (!name.endsWith('.json')) continue;
        const info = await stat(join(dir, name)).catch(() => null);
        if (info && info.mtime < before) yield `originals/${name.slice(0, -'.json'.length)}`;
      }
      return;
    }
    for await (const object of this.storage.list(`${UPLOAD_RECORDS}originals/`)) {
      const match = /^(originals\/[^/]+)\.(info|part)$/.exec(object.key.slice(UPLOAD_RECORDS.length));
      if (match && object.modified < before) yield match[1]!;
    }
  }
}
