import { Global, Module } from '@nestjs/common';
import type { Config } from '@nebula/shared';
import { countFailures } from '@nebula/shared/runtime';
import { createObjectStorage, ObjectNotFoundError } from '@nebula/shared/storage';
import { CONFIG } from '../config/config.module';
import { GatewayMetrics } from '../metrics/gateway-metrics';

export const OBJECT_STORAGE = Symbol('OBJECT_STORAGE');

@Global()
@Module({
  providers: [
    {
      provide: OBJECT_STORAGE,
      inject: [CONFIG, GatewayMetrics],
      useFactory: (config: Config, metrics: GatewayMetrics) =>
        countFailures(createObjectStorage(config.storage), (operation) => metrics.storageErrors.inc({ operation }), (e) => e instanceof ObjectNotFoundError),
    },
  ],
  exports: [OBJECT_STORAGE],
})
export class StorageModule {}
