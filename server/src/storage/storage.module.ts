import { Global, Logger, Module } from '@nestjs/common';
import type { Config } from '@nebula/shared';
import { countFailures } from '@nebula/shared/runtime';
import { createObjectStorage, enableSendfile, ObjectNotFoundError, ReadCachedStorage, type ObjectStorage } from '@nebula/shared/storage';
import { CONFIG } from '../config/config.module';
import { GatewayMetrics } from '../metrics/gateway-metrics';

export const OBJECT_STORAGE = Symbol('OBJECT_STORAGE');

@Global()
@Module({
  providers: [
    {
      provide: OBJECT_STORAGE,
      inject: [CONFIG, GatewayMetrics],
      useFactory: (config: Config, metrics: GatewayMetrics) => {
        enableSendfile(config.sendfile);
        return countFailures(withReadCache(createObjectStorage(config.storage), config, metrics), (operation) => metrics.storageErrors.inc({ operation }), (e) => e instanceof ObjectNotFoundError);
      },
    },
  ],
  exports: [OBJECT_STORAGE],
})
export class StorageModule {}

/** With the s3 driver, originals read often are answered from local copies (NEBULA_READ_CACHE_SIZE; ReadCachedStorage). */
function withReadCache(storage: ObjectStorage, config: Config, metrics: GatewayMetrics): ObjectStorage {
  if (storage.driver !== 's3' || config.readCache.maxBytes === 0) return storage;
  const logger = new Logger('read-cache');
  let cache: ReadCachedStorage;
  try {
    cache = new ReadCachedStorage(storage, {
      dir: config.readCache.dir,
      maxBytes: config.readCache.maxBytes,
      onRead: (answered) => metrics.readCacheReads.inc({ answered }),
      log: (level, message) => (level === 'warn' ? logger.warn(message) : logger.log(message)),
    });
  } catch (error) {
    // A cache is worth having, not worth refusing to start over: every read goes to S3 instead.
    logger.warn(`no read cache: ${config.readCache.dir} cannot be emptied or made (${(error as Error).message}); every read goes to S3 (NEBULA_READ_CACHE_SIZE=0 says so on purpose)`);
    return storage;
  }
  metrics.readCacheUsedBytes = () => cache.usedBytes;
  return cache;
}
