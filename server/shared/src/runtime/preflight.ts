import pg from 'pg';
import { Redis } from 'ioredis';
import { redactUrl, type Config } from '../config';
import { redisOptionsFromUrl } from '../redis-url';
import { createObjectStorage } from '../storage';

/**
 * Nothing can start, for a reason the message says in full: a dependency named by configuration
 * could not be reached (the message names the variable), or `npm start` found its data folder
 * unusable. Printed as it is, without a stack trace (describeStartupError).
 */
export class PreflightError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreflightError';
  }
}

const TIMEOUT_MS = 5000;

/**
 * Proves Postgres, Redis and object storage answer before the app starts, so a wrong
 * DATABASE_URL, REDIS_URL or S3_ENDPOINT is one clear line at start-up instead of retries and a stack trace.
 */
export async function assertDependenciesReachable(config: Pick<Config, 'databaseUrl' | 'redisUrl' | 'storage'>): Promise<void> {
  const problems = (await Promise.all([checkPostgres(config.databaseUrl), checkRedis(config.redisUrl), checkStorage(config)])).filter(
    (p): p is string => p !== null,
  );
  if (problems.length > 0) throw new PreflightError(problems.join('\n'));
}

async function checkPostgres(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return `DATABASE_URL: cannot connect to ${redactUrl(url)} (${reason(error)}). Is Postgres running and reachable from here?`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkRedis(url: string): Promise<string | null> {
  const redis = new Redis({
    ...redisOptionsFromUrl(url),
    lazyConnect: true,
    connectTimeout: TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // connect() only says "Connection is closed."; the socket's own error says why.
  let socketError: unknown;
  redis.on('error', (error) => (socketError ??= error));
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    return `REDIS_URL: cannot connect to ${redactUrl(url)} (${reason(socketError ?? error)}). Is Redis running and reachable from here?`;
  } finally {
    redis.disconnect();
  }
}

const networkErrors: Record<string, string> = {
  ECONNREFUSED: 'ECONNREFUSED: nothing listens there',
  ENOTFOUND: 'ENOTFOUND: no such host',
  EAI_AGAIN: 'EAI_AGAIN: the host name could not be resolved',
  ETIMEDOUT: 'ETIMEDOUT: no answer',
  EHOSTUNREACH: 'EHOSTUNREACH: no route to the host',
};

/** Object storage must be writable; for s3 this also creates the bucket on first start. */
async function checkStorage(config: Pick<Config, 'storage'>): Promise<string | null> {
  try {
    await createObjectStorage(config.storage).check();
    return null;
  } catch (error) {
    const variable = { s3: 'S3_ENDPOINT', gateway: 'NEBULA_SERVER_URL', fs: 'NEBULA_DATA_DIR' }[config.storage.driver];
    return `${variable}: object storage is not usable: ${reason(error)}`;
  }
}

function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reason(error.errors[0]);
  const e = error as NodeJS.ErrnoException;
  if (e.code && networkErrors[e.code]) return networkErrors[e.code]!;
  return e.message || String(error);
}
