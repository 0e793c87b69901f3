import { Redis } from 'ioredis';
import { redisOptionsFromUrl, type Config } from '@nebula/shared';
import { joinRefusal, NEBULA_VERSION, nodeKeys } from '@nebula/contract';
import { PreflightError } from '@nebula/shared/runtime';

/**
 * Before this worker takes any job: refused (one clear line, exit 1) when the server runs another
 * release or this machine's clock is off. Redis's TIME is the server side's clock (the queue's
 * locks and the registry's TTLs run on it); the gateway writes its version at start.
 */
export async function assertMayJoin(config: Config): Promise<void> {
  const redis = new Redis({ ...redisOptionsFromUrl(config.redisUrl), maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const [gateway, [seconds, micros]] = await Promise.all([redis.get(nodeKeys.gateway), redis.time()]);
    const before = Date.now();
    const server = { version: gateway ? (JSON.parse(gateway) as { version: string }).version : null, nowMs: Number(seconds) * 1000 + Math.round(Number(micros) / 1000) };
    const refusal = joinRefusal({ version: NEBULA_VERSION, nowMs: before }, server);
    if (refusal) throw new PreflightError(`refused to join: ${refusal}`);
  } finally {
    redis.disconnect();
  }
}
