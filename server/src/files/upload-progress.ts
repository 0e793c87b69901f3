import { Inject, Injectable } from '@nestjs/common';
import type { DataStore } from '@tus/utils';
import { UPLOAD_METADATA, UPLOADS_PATH, type UnfinishedUpload } from '@nebula/contract';
import { type Config } from '@nebula/shared';
import { CONFIG } from '../config/config.module';
import { createTusStore } from '../uploads/tus-store.factory';

/**
 * How far unfinished uploads got, read from the tus store (the same files or S3 multipart upload
 * that the uploads service writes; this instance only reads). Kept apart from the uploads service
 * so that listings can show progress without going through tus' request handling.
 */
@Injectable()
export class UploadProgress {
  private readonly store: DataStore;
  private readonly expiryMs: number;

  constructor(@Inject(CONFIG) config: Config) {
    this.expiryMs = config.uploadExpiryHours * 60 * 60 * 1000;
    this.store = createTusStore(config, this.expiryMs);
  }

  /**
   * `storageKey` is the tus upload id (originals/<file id>); `received` is null when the store no
   * longer knows it. Unfinished uploads expire by their creation time (UploadsService.removeExpired).
   */
  async of(fileId: string, storageKey: string, createdAt: Date): Promise<UnfinishedUpload> {
    const base = { url: `${UPLOADS_PATH}/${fileId}`, expiresAt: new Date(createdAt.getTime() + this.expiryMs).toISOString() };
    try {
      const upload = await this.store.getUpload(storageKey);
      const sha256 = upload.metadata?.[UPLOAD_METADATA.sha256]?.toLowerCase() ?? null;
      const sample = upload.metadata?.[UPLOAD_METADATA.sample] ?? null;
      return { ...base, received: upload.offset, sha256, sample };
    } catch {
      return { ...base, received: null, sha256: null, sample: null };
    }
  }

  /**
   * Ends an unfinished upload whose file is being deleted (nebula rm on it), as a tus termination
   * would: the file store's bytes and record, or the S3 multipart upload (aborted, so its parts do
   * not stay billed and listed). Nothing there is fine.
   */
  async discard(storageKey: string): Promise<void> {
    await this.store.remove(storageKey).catch(() => undefined);
  }
}
