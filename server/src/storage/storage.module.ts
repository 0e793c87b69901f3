import { Global, Module } from '@nestjs/common';
import type { Config } from '@nebula/shared';
import { createObjectStorage } from '@nebula/shared/storage';
import { CONFIG } from '../config/config.module';

export const OBJECT_STORAGE = Symbol('OBJECT_STORAGE');

@Global()
@Module({
  providers: [{ provide: OBJECT_STORAGE, inject: [CONFIG], useFactory: (config: Config) => createObjectStorage(config.storage) }],
  exports: [OBJECT_STORAGE],
})
export class StorageModule {}
