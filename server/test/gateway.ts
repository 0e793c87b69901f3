import type { INestApplication } from '@nestjs/common';
import { join } from 'node:path';
import { loadConfig, type Config } from '@nebula/shared';
import { createTestDatabase, startRedis, tempDir } from '../../ops/test-support/services';
import { startS3 } from '../../ops/test-support/s3-server';
import { createGateway } from '../src/gateway';
import { createLogger } from '@nebula/shared/runtime';

export interface TestGateway {
  url: string;
  app: INestApplication;
  config: Config;
  stop: () => Promise<void>;
}

/** The real gateway, in this process, on real Postgres and Redis, with either storage driver. */
export async function startTestGateway(driver: 'fs' | 's3' = 'fs', env: Record<string, string> = {}): Promise<TestGateway> {
  const [db, redis, dir] = await Promise.all([createTestDatabase(), startRedis(), tempDir()]);
  const s3 = driver === 's3' ? await startS3() : undefined;
  const config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    NEBULA_DATA_DIR: dir.path,
    NEBULA_WORKER_HEARTBEAT_FILE: join(dir.path, 'heartbeat'),
    NEBULA_STORAGE_DRIVER: driver,
    NEBULA_METRICS_PORT: '0',
    ...(s3 ? { S3_ENDPOINT: s3.endpoint, S3_REGION: s3.region, S3_ACCESS_KEY: s3.accessKey, S3_SECRET_KEY: s3.secretKey, S3_BUCKET: s3.bucket } : {}),
    ...env,
  });
  const app = await createGateway(config, createLogger('gateway', 'error'));
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    config,
    stop: async () => {
      await app.close();
      await s3?.stop();
      await redis.stop();
      await db.drop();
      await dir.remove();
    },
  };
}
