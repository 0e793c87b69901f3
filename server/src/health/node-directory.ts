import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { NEBULA_VERSION, nodeKeys, readNodes, type NodeAdvert } from '@nebula/contract';
import { RedisClient } from '../queue/redis.client';

/**
 * The gateway's side of the node registry: at start it writes its version where joining workers
 * compare theirs (worker/src/system/join-check.ts); on demand it lists the nodes whose heartbeat is current.
 */
@Injectable()
export class NodeDirectory implements OnApplicationBootstrap {
  private readonly logger = new Logger('nodes');

  constructor(private readonly redis: RedisClient) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.redis.ping();
      await this.redis.redis.set(nodeKeys.gateway, JSON.stringify({ version: NEBULA_VERSION }));
    } catch (error) {
      // Redis may be down at start; the next start writes it, and joining nodes then skip the version check.
      this.logger.warn(`could not record the server's version for joining nodes: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async list(): Promise<NodeAdvert[]> {
    if (this.redis.redis.status === 'wait') await this.redis.redis.connect();
    return readNodes(this.redis.redis);
  }
}
