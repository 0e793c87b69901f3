import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

/**
 * Every environment variable Nebula reads is declared here, once, and validated at start-up by the
 * gateway and the worker alike. `.env.example` documents the same list for people.
 */

const port = (fallback: number) =>
  z
    .string()
    .default(String(fallback))
    .refine((v) => /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 65535, {
      message: 'expected a TCP port, a whole number from 1 to 65535',
    })
    .transform(Number);

const positiveInt = (fallback: number) =>
  z
    .string()
    .default(String(fallback))
    .refine((v) => /^\d+$/.test(v) && Number(v) >= 1, { message: 'expected a whole number of 1 or more' })
    .transform(Number);

const url = (protocols: string[], example: string) =>
  z.string({ error: `required: a URL like ${example}` }).refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `expected a URL like ${example}` },
  );

const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** A comma-separated list of CIDR ranges (or single addresses), IPv4 or IPv6. */
const cidrList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v) => v.split(',').map((part) => part.trim()).filter(Boolean))
    .refine((list) => list.every(isCidr), { message: 'expected comma-separated CIDR ranges like 100.64.0.0/10,fd7a:115c:a1e0::/48' });

/** A comma-separated list of host names; `*.example.com` matches every name under example.com. */
const hostList = z
  .string()
  .default('')
  .transform((v) => v.split(',').map((part) => part.trim().toLowerCase().replace(/\.$/, '')).filter(Boolean))
  .refine((list) => list.every((h) => /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(h)), {
    message: 'expected comma-separated host names like nebula.example.com or *.example.com (no port, no scheme)',
  });

/** A comma-separated list of web origins, `scheme://host[:port]`, exactly as browsers send them. */
const originList = z
  .string()
  .default('')
  .transform((v) => v.split(',').map((part) => part.trim()).filter(Boolean))
  .refine((list) => list.every(isOrigin), { message: 'expected comma-separated origins like https://nebula.example.com or http://127.0.0.1:5173 (scheme, host and port only)' })
  .transform((list) => list.map((origin) => new URL(origin).origin));

function isOrigin(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === value.replace(/\/$/, '').toLowerCase() && !u.username && u.pathname === '/';
  } catch {
    return false;
  }
}

/** A size in bytes: a whole number, or with a unit (500M, 20G, 1.5T; powers of 1024). */
const byteSize = z
  .string()
  .optional()
  .refine((v) => v === undefined || parseBytes(v) !== null, { message: 'expected a size in bytes, or with a unit: 500M, 20G, 2T' })
  .transform((v) => (v === undefined ? undefined : parseBytes(v)!));

/** NEBULA_READ_CACHE_SIZE's default. */
export const DEFAULT_READ_CACHE_BYTES = 8 * 1024 ** 3;

export function parseBytes(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]i?B?|B)?$/i.exec(text.trim());
  if (!match) return null;
  const unit = (match[2] ?? 'B')[0]!.toUpperCase();
  const power = { B: 0, K: 1, M: 2, G: 3, T: 4 }[unit]!;
  const bytes = Math.floor(Number(match[1]) * 1024 ** power);
  return bytes >= 1 && Number.isSafeInteger(bytes) ? bytes : null;
}

function isCidr(value: string): boolean {
  const [address, bits, ...rest] = value.split('/');
  if (rest.length > 0 || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d+$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

const envObject = z.object({
    NEBULA_PORT: port(8080),
    NEBULA_HOST: z.string().min(1).default('127.0.0.1'),
    NEBULA_DATA_DIR: z.string().min(1).default('./data'),
    DATABASE_URL: url(['postgres:', 'postgresql:'], 'postgres://user:password@127.0.0.1:5432/nebula'),
    REDIS_URL: url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
    NEBULA_STORAGE_DRIVER: z.enum(['fs', 's3', 'gateway'], { error: 'expected fs or s3 (or gateway, on a worker node that joined a server)' }).default('fs'),
    NEBULA_OBJECTS_DIR: z.string().min(1).optional(),
    S3_ENDPOINT: url(['http:', 'https:'], 'http://minio:9000').optional(),
    S3_REGION: z.string().min(1).default('us-east-1'),
    S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name').default('nebula'),
    S3_ACCESS_KEY: z.string().min(1).optional(),
    S3_SECRET_KEY: z.string().min(1).optional(),
    S3_REQUEST_TIMEOUT_SECONDS: positiveInt(60),
    NEBULA_HWACCEL: z.enum(['auto', 'vaapi', 'qsv', 'software'], { error: 'expected auto, vaapi, qsv or software' }).default('auto'),
    NEBULA_HW_DEVICE: z.string().min(1).optional(),
    NEBULA_FFMPEG_PATH: z.string().min(1).default('ffmpeg'),
    NEBULA_FFPROBE_PATH: z.string().min(1).default('ffprobe'),
    NEBULA_WORKER_CONCURRENCY: positiveInt(1),
    NEBULA_WORKER_SHUTDOWN_GRACE_SECONDS: positiveInt(30),
    NEBULA_JOB_LOCK_SECONDS: positiveInt(30),
    NEBULA_MEDIA_RECHECK_SECONDS: positiveInt(60),
    NEBULA_WORKER_HEARTBEAT_FILE: z.string().min(1).default('/tmp/nebula-worker-heartbeat'),
    NEBULA_SERVER_URL: url(['http:', 'https:'], 'http://100.101.102.103:8080').optional(),
    NEBULA_JOIN_TOKEN: z.string().regex(/^[\w-]{16,200}$/, 'expected the token `nebula node token` printed').optional(),
    NEBULA_NODE_REDIS_URL: url(['redis:', 'rediss:'], 'redis://:password@100.101.102.103:6379').optional(),
    NEBULA_NODE_DATABASE_URL: url(['postgres:', 'postgresql:'], 'postgres://nebula:password@100.101.102.103:5432/nebula').optional(),
    NEBULA_NODE_S3_ENDPOINT: url(['http:', 'https:'], 'http://100.101.102.103:9000').optional(),
    NEBULA_NODE_NAME: z.string().regex(/^[\w.-]{1,63}$/, 'expected a name of letters, digits, dots, dashes or underscores').optional(),
    NEBULA_TEST_ADVERTISE_HWACCEL: z.enum(['vaapi', 'qsv'], { error: 'expected vaapi or qsv (a test double; leave empty)' }).optional(),
    NEBULA_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'], { error: 'expected fatal, error, warn, info, debug or trace' }).default('info'),
    NEBULA_MIGRATE_ON_START: flag(true),
    NEBULA_SENDFILE: flag(true),
    NEBULA_UPLOAD_EXPIRY_HOURS: positiveInt(24),
    NEBULA_DEPLOY_HISTORY_DIR: z.string().min(1).optional(),
    NEBULA_COMMIT: z.string().regex(/^[0-9a-f]{7,64}$/, { message: 'expected a git commit id (7 to 64 hex digits)' }).optional(),
    NEBULA_RELEASE: z.string().min(1).optional(),
    NEBULA_ALLOWED_CIDRS: cidrList('100.64.0.0/10,fd7a:115c:a1e0::/48,127.0.0.0/8,::1/128'),
    NEBULA_TRUSTED_PROXIES: cidrList('127.0.0.0/8,::1/128'),
    NEBULA_ALLOWED_HOSTS: hostList,
    NEBULA_ALLOWED_ORIGINS: originList,
    NEBULA_MAX_UPLOAD_SIZE: byteSize,
    NEBULA_READ_CACHE_SIZE: z
      .string()
      .optional()
      .refine((v) => v === undefined || /^(0|off)$/i.test(v.trim()) || parseBytes(v) !== null, { message: 'expected a size with a unit (8G, 500M), or 0 or off for no read cache' })
      .transform((v) => (v === undefined ? DEFAULT_READ_CACHE_BYTES : /^(0|off)$/i.test(v.trim()) ? 0 : parseBytes(v)!)),
    NEBULA_TAILSCALE_SOCKET: z.string().min(1).optional(),
    NEBULA_METRICS_PORT: z
      .string()
      .default('9464')
      .refine((v) => /^\d+$/.test(v) && Number(v) <= 65535, { message: 'expected a TCP port from 1 to 65535, or 0 for any free port' })
      .transform(Number),
    NEBULA_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
});

const envSchema = envObject.superRefine((env, ctx) => {
  if (Boolean(env.NEBULA_SERVER_URL) !== Boolean(env.NEBULA_JOIN_TOKEN)) {
    const missing = env.NEBULA_SERVER_URL ? 'NEBULA_JOIN_TOKEN' : 'NEBULA_SERVER_URL';
    ctx.addIssue({ code: 'custom', path: [missing], message: 'a worker node joins with both the server URL and a join token (`nebula node token` prints them)' });
  }
  if (env.NEBULA_STORAGE_DRIVER === 'gateway' && !env.NEBULA_SERVER_URL) {
    ctx.addIssue({ code: 'custom', path: ['NEBULA_SERVER_URL'], message: 'required when NEBULA_STORAGE_DRIVER=gateway (objects go through that server)' });
  }
  if (env.NEBULA_STORAGE_DRIVER !== 's3') return;
  for (const key of ['S3_ENDPOINT', 'S3_ACCESS_KEY', 'S3_SECRET_KEY'] as const) {
    if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'required when NEBULA_STORAGE_DRIVER=s3' });
  }
});

/** Lists where an empty value is a choice (nothing), not "use the default". */
const EMPTY_MEANS_NONE = new Set(['NEBULA_TRUSTED_PROXIES']);

/** Every variable the gateway and worker read, for docs and checks (.env.example must list them all). */
export const CONFIG_VARIABLES = Object.keys(envObject.shape);

export type StorageConfig =
  | { driver: 'fs'; root: string }
  | { driver: 's3'; endpoint: string; region: string; bucket: string; accessKey: string; secretKey: string; requestTimeoutMs?: number }
  /** A worker node without the server's disk: objects through the gateway's node endpoints, with the join token. */
  | { driver: 'gateway'; server: string; token: string; requestTimeoutMs?: number };

export interface Config {
  http: { port: number; host: string };
  dataDir: string;
  databaseUrl: string;
  redisUrl: string;
  storage: StorageConfig;
  media: {
    hwaccel: 'auto' | 'vaapi' | 'qsv' | 'software';
    hwDevice?: string;
    ffmpegPath: string;
    ffprobePath: string;
  };
  /**
   * lockSeconds: how long a job's lock lasts without renewal; a worker that dies (SIGKILL, power
   * cut) leaves its job to be picked up again about this long after.
   */
  /**
   * nodeName: shown in the node registry. advertiseHwaccel: a test double (see .env.example) that
   * advertises a hardware encoder this node does not have.
   */
  /** A worker node that joined a server (NEBULA_SERVER_URL + NEBULA_JOIN_TOKEN, or --server/--token). */
  join?: { server: string; token: string };
  /**
   * The gateway's answer to a joining node: Redis, Postgres and S3 as nodes reach them. Unset: the
   * gateway's own URLs with the host name the node used to reach the gateway (its tailnet address).
   */
  nodeFacing: { redisUrl?: string; databaseUrl?: string; s3Endpoint?: string };
  worker: { concurrency: number; shutdownGraceSeconds: number; heartbeatFile: string; lockSeconds: number; nodeName?: string; advertiseHwaccel?: 'vaapi' | 'qsv' };
  /**
   * How often the gateway re-checks videos that are `queued` or `processing` without a job in the
   * queue (Redis was down at upload, lost its data, or a job failed unrecorded): see MediaReconciler.
   */
  mediaRecheckSeconds: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  migrateOnStart: boolean;
  /** Unfinished uploads older than this are removed, bytes and all. */
  uploadExpiryHours: number;
  /** The largest upload accepted, in bytes; undefined: the free space of the store, less a margin. */
  maxUploadBytes?: number;
  /**
   * The gateway's local copies of originals read often, with the s3 driver (ReadCachedStorage):
   * at most maxBytes in `dir`; 0 keeps none. Unused with the fs driver, whose objects are local already.
   */
  readCache: { dir: string; maxBytes: number };
  /** Files on the gateway's disk (fs objects, read-cache copies) sent by the kernel's sendfile; false copies them through Node (storage/sendfile.ts). */
  sendfile: boolean;
  /** Folder with the push-to-deploy hook's deploys.jsonl and logs/. */
  deployHistoryDir: string;
  /** What runs, as the deploy hook names it (GET /api/version); both unknown under npm start. */
  release: { commit?: string; name?: string };
  access: {
    /** Peers (the socket's address, or the forwarded one from a trusted proxy) allowed in. */
    allowedCidrs: string[];
    /** Socket peers whose X-Forwarded-For / Tailscale-User-* headers are believed (empty: none). */
    trustedProxies: string[];
    /** Host names (beyond IP addresses, localhost and *.ts.net) the Host header may carry. */
    allowedHosts: string[];
    /** Other web origins whose pages may call the API (CORS); same-origin pages always may. */
    allowedOrigins: string[];
    /** tailscaled's LocalAPI socket, for `whois` of a peer; unset = no lookup. */
    tailscaleSocket?: string;
  };
  /** `/metrics` for Prometheus on its own listener, never published outside the compose network. */
  metrics: { port: number; host: string };
}

/** Thrown when the environment does not describe a runnable Nebula; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Nebula cannot start, the configuration is wrong:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  // An empty variable (FOO= in .env) means "not set", as docker compose and most tools treat it;
  // except where empty is a meaningful list: NEBULA_TRUSTED_PROXIES= trusts no proxy at all.
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => v !== undefined && (v !== '' || EMPTY_MEANS_NONE.has(k))));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'environment');
        const value = present[name];
        const shown = value === undefined || /KEY|PASSWORD|SECRET|TOKEN/.test(name) ? '' : ` (got "${redactUrl(value)}")`;
        return `${name}: ${issue.message}${shown}`;
      }),
    );
  }
  const e = parsed.data;
  const dataDir = isAbsolute(e.NEBULA_DATA_DIR) ? e.NEBULA_DATA_DIR : resolve(cwd, e.NEBULA_DATA_DIR);
  const storage: StorageConfig =
    e.NEBULA_STORAGE_DRIVER === 's3'
      ? {
          driver: 's3',
          endpoint: e.S3_ENDPOINT!,
          region: e.S3_REGION,
          bucket: e.S3_BUCKET,
          accessKey: e.S3_ACCESS_KEY!,
          secretKey: e.S3_SECRET_KEY!,
          requestTimeoutMs: e.S3_REQUEST_TIMEOUT_SECONDS * 1000,
        }
      : e.NEBULA_STORAGE_DRIVER === 'gateway'
        ? { driver: 'gateway', server: e.NEBULA_SERVER_URL!, token: e.NEBULA_JOIN_TOKEN!, requestTimeoutMs: e.S3_REQUEST_TIMEOUT_SECONDS * 1000 }
        : { driver: 'fs', root: resolve(dataDir, e.NEBULA_OBJECTS_DIR ?? 'objects') };
  return {
    http: { port: e.NEBULA_PORT, host: e.NEBULA_HOST },
    dataDir,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    storage,
    ...(e.NEBULA_SERVER_URL && e.NEBULA_JOIN_TOKEN ? { join: { server: e.NEBULA_SERVER_URL, token: e.NEBULA_JOIN_TOKEN } } : {}),
    nodeFacing: { redisUrl: e.NEBULA_NODE_REDIS_URL, databaseUrl: e.NEBULA_NODE_DATABASE_URL, s3Endpoint: e.NEBULA_NODE_S3_ENDPOINT },
    media: {
      hwaccel: e.NEBULA_HWACCEL,
      hwDevice: e.NEBULA_HW_DEVICE,
      ffmpegPath: e.NEBULA_FFMPEG_PATH,
      ffprobePath: e.NEBULA_FFPROBE_PATH,
    },
    worker: {
      concurrency: e.NEBULA_WORKER_CONCURRENCY,
      shutdownGraceSeconds: e.NEBULA_WORKER_SHUTDOWN_GRACE_SECONDS,
      heartbeatFile: e.NEBULA_WORKER_HEARTBEAT_FILE,
      lockSeconds: e.NEBULA_JOB_LOCK_SECONDS,
      nodeName: e.NEBULA_NODE_NAME,
      advertiseHwaccel: e.NEBULA_TEST_ADVERTISE_HWACCEL,
    },
    mediaRecheckSeconds: e.NEBULA_MEDIA_RECHECK_SECONDS,
    logLevel: e.NEBULA_LOG_LEVEL,
    migrateOnStart: e.NEBULA_MIGRATE_ON_START,
    uploadExpiryHours: e.NEBULA_UPLOAD_EXPIRY_HOURS,
    maxUploadBytes: e.NEBULA_MAX_UPLOAD_SIZE,
    readCache: { dir: resolve(dataDir, 'read-cache'), maxBytes: e.NEBULA_READ_CACHE_SIZE },
    sendfile: e.NEBULA_SENDFILE,
    deployHistoryDir: resolve(dataDir, e.NEBULA_DEPLOY_HISTORY_DIR ?? 'deploy-history'),
    release: { commit: e.NEBULA_COMMIT, name: e.NEBULA_RELEASE },
    access: {
      allowedCidrs: e.NEBULA_ALLOWED_CIDRS,
      trustedProxies: e.NEBULA_TRUSTED_PROXIES,
      allowedHosts: e.NEBULA_ALLOWED_HOSTS,
      allowedOrigins: e.NEBULA_ALLOWED_ORIGINS,
      tailscaleSocket: e.NEBULA_TAILSCALE_SOCKET,
    },
    metrics: { port: e.NEBULA_METRICS_PORT, host: e.NEBULA_METRICS_HOST },
  };
}

/**
 * Only what a worker node joins with (NEBULA_SERVER_URL, NEBULA_JOIN_TOKEN), validated, before the
 * rest of its configuration exists: the join is what supplies REDIS_URL and DATABASE_URL.
 */
export function loadJoin(env: NodeJS.ProcessEnv = process.env): Config['join'] {
  return loadConfig({ DATABASE_URL: 'postgres://joining', REDIS_URL: 'redis://joining', NEBULA_SERVER_URL: env.NEBULA_SERVER_URL, NEBULA_JOIN_TOKEN: env.NEBULA_JOIN_TOKEN }).join;
}

/** A URL with its password replaced, safe to print in a log line or an error. */
export function redactUrl(value: string): string {
  try {
    const u = new URL(value);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return value;
  }
}
