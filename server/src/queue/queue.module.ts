import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { MEDIA_QUEUE, SYSTEM_QUEUE, MEDIA_HW_QUEUE } from '@nebula/contract';
import { redisOptionsFromUrl, type Config } from '@nebula/shared';
import { CONFIG } from '../config/config.module';
import { RedisClient } from './redis.client';

@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [CONFIG],
      useFactory: (config: Config) => ({ connection: redisOptionsFromUrl(config.redisUrl) }),
    }),
    BullModule.registerQueue({ name: SYSTEM_QUEUE }, { name: MEDIA_QUEUE }, { name: MEDIA_HW_QUEUE }),
  ],
  providers: [RedisClient],
  exports: [BullModule, RedisClient],
})
export class QueueModule {}
