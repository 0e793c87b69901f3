import { statfs } from 'node:fs/promises';
import type { Config } from '@nebula/shared';

const GiB = 1024 ** 3;
/** S3's largest object (5 TiB): the s3 driver's default, since the gateway cannot see the S3 server's disks. */
export const S3_MAX_OBJECT_BYTES = 5 * 1024 ** 4;

/**
 * The default limit with the fs driver: what the store's file system has free, less a margin of 5%
 * of its size (at most 1 GiB) kept for Postgres, logs and the HLS renditions of what is uploaded.
 * Never below 1 byte: tus reads 0 as "no limit".
 */
export function limitFromFreeSpace(availableBytes: number, totalBytes: number): number {
  const margin = Math.min(GiB, Math.floor(totalBytes * 0.05));
  return Math.max(1, availableBytes - margin);
}

/** The largest upload the gateway accepts right now (NEBULA_MAX_UPLOAD_SIZE, or the default above). */
export class UploadLimit {
  constructor(private readonly config: Config) {}

  /** Whether the limit is the one configured (else it follows the free space). */
  get configured(): boolean {
    return this.config.maxUploadBytes !== undefined;
  }

  async current(): Promise<number> {
    if (this.config.maxUploadBytes !== undefined) return this.config.maxUploadBytes;
    const storage = this.config.storage;
    if (storage.driver !== 'fs') return S3_MAX_OBJECT_BYTES;
    const fs = await statfs(storage.root);
    return limitFromFreeSpace(fs.bavail * fs.bsize, fs.blocks * fs.bsize);
  }

  /** Whether the store's file system has (almost) nothing left, for telling a full disk from other write errors. */
  async diskFull(): Promise<boolean> {
    if (this.config.storage.driver !== 'fs') return false;
    const fs = await statfs(this.config.storage.root).catch(() => null);
    return fs !== null && fs.bavail * fs.bsize < 1024 * 1024;
  }
}
