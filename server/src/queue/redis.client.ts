import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { redisOptionsFromUrl, type Config } from '@nebula/shared';
import { CONFIG } from '../config/config.module';

/** The gateway's own Redis connection, for what BullMQ does not cover (health, later live events). */
@Injectable()
export class RedisClient implements OnApplicationShutdown {
  readonly redis: Redis;

  constructor(@Inject(CONFIG) config: Config) {
    this.redis = new Redis({ ...redisOptionsFromUrl(config.redisUrl), lazyConnect: true, maxRetriesPerRequest: 1 });
    // Without a listener ioredis prints every reconnect failure; the health check reports the outage instead.
    this.redis.on('error', () => undefined);
  }

  async ping(): Promise<void> {
    if (this.redis.status === 'wait') await this.redis.connect();
    const answer = await this.redis.ping();
    if (answer !== 'PONG') throw new Error(`unexpected answer to PING: ${answer}`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
  }
}
