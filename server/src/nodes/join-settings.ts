import { isIP } from 'node:net';
import { NEBULA_VERSION, type NodeJoinDto } from '@nebula/contract';
import type { Config } from '@nebula/shared';
import { hostName } from '../access/site-policy';

/**
 * What a joining worker node is told: the queue, the database and the object store as it can
 * reach them. Unless the server names node-facing URLs (NEBULA_NODE_*), the gateway's own URLs
 * serve, with their host replaced by the one the node used to reach the gateway (`reachedAs`, the
 * request's Host): in compose `redis:6379` means nothing on another machine, while the server's
 * tailnet address with the port published there (docker-compose.nodes.yml) does. Credentials and
 * ports stay. With the fs driver the node gets no disk: objects go through the gateway.
 */
export function joinSettings(config: Pick<Config, 'redisUrl' | 'databaseUrl' | 'storage' | 'nodeFacing'>, reachedAs: string | undefined): NodeJoinDto {
  const host = reachedAs === undefined ? null : hostName(reachedAs);
  const seen = (url: string) => (host ? withHost(url, host) : url);
  const storage = config.storage;
  return {
    version: NEBULA_VERSION,
    redisUrl: config.nodeFacing.redisUrl ?? seen(config.redisUrl),
    databaseUrl: config.nodeFacing.databaseUrl ?? seen(config.databaseUrl),
    storage:
      storage.driver === 's3'
        ? {
            driver: 's3',
            endpoint: config.nodeFacing.s3Endpoint ?? seen(storage.endpoint).replace(/\/$/, ''),
            region: storage.region,
            bucket: storage.bucket,
            accessKey: storage.accessKey,
            secretKey: storage.secretKey,
          }
        : { driver: 'gateway' },
  };
}

/** `url` with `host` (a name or an IPv4/IPv6 address, no port) in place of its own host. */
export function withHost(url: string, host: string): string {
  const u = new URL(url);
  u.hostname = isIP(host) === 6 ? `[${host}]` : host;
  return u.toString();
}
