import type { StorageConfig } from '../config';
import { FsObjectStorage } from './fs-object-storage';
import { GatewayObjectStorage } from './gateway-object-storage';
import type { ObjectStorage } from './object-storage';
import { S3ObjectStorage } from './s3-object-storage';

export * from './object-storage';
export { FsObjectStorage } from './fs-object-storage';
export { enableSendfile, sendfileRounds, sendfileStatus, type SendfileStatus } from './sendfile';
export { ReadCachedStorage, type ReadCacheOptions } from './read-cache';
export { GatewayObjectStorage, GatewayStorageError, type GatewayObjectStorageOptions } from './gateway-object-storage';
export { DEFAULT_S3_REQUEST_TIMEOUT_MS, S3ObjectStorage, type S3ObjectStorageOptions } from './s3-object-storage';

export function createObjectStorage(config: StorageConfig): ObjectStorage {
  switch (config.driver) {
    case 'fs':
      return new FsObjectStorage(config.root);
    case 's3':
      return new S3ObjectStorage(config);
    case 'gateway':
      return new GatewayObjectStorage(config);
  }
}
export { classifyS3Failure, isTransientS3Failure, S3StorageError, type S3FailureKind } from './s3-errors';
