import type { ApiErrorBody } from '@nebula/contract';
import type { Config } from './config';
import { classifyS3Failure, isTransientS3Failure, S3StorageError, type S3FailureKind } from './storage/s3-errors';

/**
 * Whether an unexpected error is one of Nebula's dependencies failing (Postgres, Redis, object
 * storage, the disk) rather than a bug, and what the client should hear: 503 with a code naming
 * the part that is down (try again later), or 507 when the disk is full. The answer never carries
 * the driver's message, host or port: those go to the log only. The gateway answers with it; the
 * worker uses it to tell an outage, which a job waits out, from a failure of the job itself.
 *
 * Object storage that answers with a refusal (wrong keys, no bucket, a call it does not support)
 * is no outage: waiting does not change the answer. That is 502 `storage_refused`, which nobody
 * retries and a job does not wait out; the log has the S3 code and what to check.
 */
export function dependencyFailure(error: unknown): ApiErrorBody | null {
  const causes = chain(error);
  const full = { statusCode: 507, code: 'storage_full', message: 'the server has no space left to store this; free some space (or delete files) and try again' };
  if (causes.some(isDiskFull)) return full;
  for (const cause of causes) {
    const s3 = s3Kind(cause);
    if (s3 === null) continue;
    if (s3 === 'full') return full;
    if (isTransientS3Failure(s3)) return unavailable('storage');
    const why = S3_REFUSALS[s3];
    return { statusCode: 502, code: 'storage_refused', message: `object storage refused the server's request${why ? ` (${why})` : ''}; waiting will not change that: the server's log says what to check` };
  }
  for (const cause of causes) {
    const part = failedPart(cause);
    if (part) return unavailable(part);
  }
  return null;
}

function unavailable(part: Part): ApiErrorBody {
  return { statusCode: 503, code: `${part}_unavailable`, message: `${PART_NAMES[part]} is not answering right now; try again in a moment (the server's log says why)` };
}

const S3_REFUSALS: Partial<Record<S3FailureKind, string>> = {
  credentials: 'its credentials were refused',
  'no-bucket': 'its bucket does not exist',
};

/**
 * What an S3 failure is, for the two S3 clients: the storage port's S3StorageError (minio's client),
 * which has classified it already, and the AWS SDK's errors (@tus/s3-store), marked by $metadata.
 * null: not an S3 failure.
 */
function s3Kind(e: ErrorLike): S3FailureKind | null {
  if (e instanceof S3StorageError) return e.kind;
  if (!e.$metadata) return null;
  const code = typeof e.Code === 'string' ? e.Code : typeof e.code === 'string' ? e.code : typeof e.name === 'string' && e.name !== 'Error' ? e.name : undefined;
  const status = e.$metadata.httpStatusCode;
  const kind = classifyS3Failure(code, status);
  // No answer at all (a socket that failed in a way the SDK names its own) is not a refusal.
  return kind === 'refused' && status === undefined ? 'unavailable' : kind;
}

type Part = 'database' | 'queue' | 'storage' | 'dependency';

/** The port each part listens on, from this process's config; null where two parts share a port. */
const partByPort = new Map<number, Part | null>();
const DEFAULT_PORTS: Record<string, number> = { 'postgres:': 5432, 'postgresql:': 5432, 'redis:': 6379, 'rediss:': 6379, 'http:': 80, 'https:': 443 };

/**
 * Tells the classifier where this process's database, queue and object storage are (their URLs,
 * from its config), so that a refused or reset connection is answered with the part's name
 * (`database_unavailable`, "the database (Postgres) is not answering") rather than "a part of the
 * server". Only the ports are kept, and the answer still never carries them. One set per
 * process (the last one given): a gateway or a worker talks to one of each.
 */
export function nameDependencies(urls: { database?: string; queue?: string; storage?: string }): void {
  partByPort.clear();
  for (const [part, url] of Object.entries(urls) as [Part, string | undefined][]) {
    const port = portOf(url);
    if (port === null) continue;
    partByPort.set(port, partByPort.has(port) && partByPort.get(port) !== part ? null : part);
  }
}

/** nameDependencies from a process's config: Postgres, Redis, and S3 or (a worker node without the disk) the gateway that stores for it. */
export function nameDependenciesOf(config: Pick<Config, 'databaseUrl' | 'redisUrl' | 'storage'>): void {
  const { storage } = config;
  nameDependencies({ database: config.databaseUrl, queue: config.redisUrl, storage: storage.driver === 's3' ? storage.endpoint : storage.driver === 'gateway' ? storage.server : undefined });
}

function portOf(url: string | undefined): number | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.port ? Number(parsed.port) : (DEFAULT_PORTS[parsed.protocol] ?? null);
  } catch {
    return null;
  }
}

const PART_NAMES: Record<Part, string> = {
  database: 'the database (Postgres)',
  queue: 'the job queue (Redis)',
  storage: 'object storage',
  dependency: 'a part of the server (database, job queue or storage)',
};

/** Socket-level failures: the dependency is down or unreachable. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  errno?: unknown;
  syscall?: unknown;
  address?: unknown;
  port?: unknown;
  $metadata?: { httpStatusCode?: number };
  $fault?: unknown;
  Code?: unknown;
}

/** The error, its causes, a TypeORM driverError and an AggregateError's members, breadth first, at most 20. */
function chain(error: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && out.length < 20) {
    const next = queue.shift();
    if (typeof next !== 'object' || next === null || out.includes(next as ErrorLike)) continue;
    out.push(next as ErrorLike);
    const e = next as { cause?: unknown; driverError?: unknown; errors?: unknown };
    queue.push(e.cause, e.driverError);
    if (Array.isArray(e.errors)) queue.push(...e.errors);
  }
  return out;
}

function isDiskFull(e: ErrorLike): boolean {
  // ENOSPC/EDQUOT from the file system; 53100 is Postgres' disk_full; MinIO says XMinioStorageFull.
  return e.code === 'ENOSPC' || e.code === 'EDQUOT' || e.code === '53100' || e.name === 'XMinioStorageFull' || e.Code === 'XMinioStorageFull';
}

function failedPart(e: ErrorLike): Part | null {
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : '';
  const code = typeof e.code === 'string' ? e.code : '';
  // Postgres: connection exceptions (08xxx), shutting down or starting (57P01-57P03), too many
  // connections (53300), and node-postgres' own words for a connection that went away.
  if (/^(08|57P0[1-3]|53300|3D000)/.test(code) && /^[0-9A-Z]{5}$/.test(code)) return 'database';
  if (/Connection terminated|terminating connection|the database system is (starting up|shutting down)|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message)) return 'database';
  if (name === 'CannotConnectAlreadyConnectedError' || name === 'ConnectionIsNotSetError') return 'database';
  // ioredis (BullMQ): retries exhausted, or no connection and no offline queue.
  if (name === 'MaxRetriesPerRequestError' || /Connection is closed|Stream isn't writeable|enableOfflineQueue|Redis connection|READONLY|LOADING Redis/.test(message)) return 'queue';
  // (S3 failures, the AWS SDK's and the storage port's, are told apart by s3Kind first.)
  if (name === 'TimeoutError' || name === 'RequestTimeout' || name === 'SlowDown' || name === 'ServiceUnavailable') return 'storage';
  // A bare socket error (node-postgres' refused connection, for one) names only an address: its
  // port says which part it is when this process has named its parts (nameDependencies).
  if (NETWORK_CODES.has(code)) return (typeof e.port === 'number' && partByPort.get(e.port)) || 'dependency';
  // The file system under the fs driver: the disk went away or is read-only.
  if (code === 'EIO' || code === 'EROFS' || code === 'ENXIO') return 'storage';
  return null;
}
