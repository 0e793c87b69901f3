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
  const cleanUp = async () => {
    await s3?.stop();
    await redis.stop();
    await db.drop();
    await dir.remove();
  };
  // A gateway that refuses to start (the tests of start-up failures) must not leave its Redis running.
  try {
    return await listening(driver, db.url, redis.url, dir.path, s3, env, cleanUp);
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

async function listening(
  driver: 'fs' | 's3',
  databaseUrl: string,
  redisUrl: string,
  dataDir: string,
  s3: Awaited<ReturnType<typeof startS3>> | undefined,
  env: Record<string, string>,
  cleanUp: () => Promise<void>,
): Promise<TestGateway> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    NEBULA_DATA_DIR: dataDir,
    NEBULA_WORKER_HEARTBEAT_FILE: join(dataDir, 'heartbeat'),
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
      await cleanUp();
    },
  };
}
