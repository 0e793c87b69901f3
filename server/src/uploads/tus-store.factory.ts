import { FileStore } from '@tus/file-store';
import { S3Store } from '@tus/s3-store';
import { FileKvStore, type DataStore } from '@tus/utils';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '@nebula/shared';

/**
 * The tus store that matches the storage driver, writing each upload straight to its final key
 * (`originals/<id>`), so a finished upload is already in place: no copy, no second pass.
 * - fs: @tus/file-store under the objects folder; its upload records live apart, in data/uploads,
 *   so they never show up as objects.
 * - s3: @tus/s3-store, a multipart upload into the bucket (parts buffered on local disk, never in memory).
 */
export function createTusStore(config: Config, expirationMs: number): DataStore {
  const storage = config.storage;
  if (storage.driver === 'fs') {
    const records = join(config.dataDir, 'uploads');
    mkdirSync(join(records, 'originals'), { recursive: true });
    mkdirSync(join(storage.root, 'originals'), { recursive: true });
    return new FileStore({ directory: storage.root, configstore: new FileKvStore(records), expirationPeriodInMilliseconds: expirationMs });
  }
  return new S3Store({
    partSize: 16 * 1024 * 1024,
    expirationPeriodInMilliseconds: expirationMs,
    s3ClientConfig: {
      bucket: storage.bucket,
      region: storage.region,
      endpoint: storage.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: storage.accessKey, secretAccessKey: storage.secretKey },
    },
  });
}
