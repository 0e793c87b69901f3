import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, waitFor } from '../embedded/processes';
import { startS3 } from './s3-server';
import { createTestDatabase, startRedis, tempDir } from './services';

const root = join(import.meta.dirname, '..', '..');

export interface RunningNebula {
  url: string;
  dataDir: string;
  env: Record<string, string>;
  /** Where each process serves Prometheus metrics (its own listener, not the gateway's port). */
  metrics: { gateway: string; worker: string };
  /** Everything the gateway and worker printed, for assertions and for failures. */
  output: () => string;
  stop: () => Promise<void>;
  /** SIGKILL, as a power cut or the OOM killer would. */
  killGateway: () => Promise<void>;
  startGateway: () => Promise<void>;
  killWorker: () => Promise<void>;
  startWorker: () => Promise<void>;
}

/**
 * The real gateway and worker as separate processes (the compiled dist/, as production runs them),
 * on the test run's Postgres, a fresh Redis and a fresh data folder. Needs ops/test-support/build-once.ts
 * as a globalSetup of the project.
 */
export async function startNebula(
  options: {
    storage?: 'fs' | 's3';
    env?: Record<string, string>;
    /** false: the gateway alone (workers of the test's own) */
    worker?: boolean;
    /** The URL the services reach Postgres at, from the test database's own (a TcpHop in front of it, for outage tests). */
    databaseVia?: (url: string) => Promise<string>;
  } = {},
): Promise<RunningNebula> {
  const [db, redis, dir, port, gatewayMetricsPort, workerMetricsPort] = await Promise.all([
    createTestDatabase(),
    startRedis(),
    tempDir('nebula-proc-'),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const metricsPorts = { gateway: gatewayMetricsPort, worker: workerMetricsPort };
  const s3 = options.storage === 's3' ? await startS3() : undefined;
  const env: Record<string, string> = {
    DATABASE_URL: options.databaseVia ? await options.databaseVia(db.url) : db.url,
    REDIS_URL: redis.url,
    NEBULA_DATA_DIR: dir.path,
    NEBULA_PORT: String(port),
    NEBULA_HOST: '127.0.0.1',
    NEBULA_WORKER_HEARTBEAT_FILE: join(dir.path, 'worker-heartbeat'),
    NEBULA_STORAGE_DRIVER: options.storage ?? 'fs',
    NO_COLOR: '1',
    ...(s3 ? { S3_ENDPOINT: s3.endpoint, S3_REGION: s3.region, S3_BUCKET: s3.bucket, S3_ACCESS_KEY: s3.accessKey, S3_SECRET_KEY: s3.secretKey } : {}),
    ...options.env,
  };
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const children: Record<'gateway' | 'worker', ChildProcess | undefined> = { gateway: undefined, worker: undefined };

  const spawnService = (name: 'gateway' | 'worker') => {
    const entry = name === 'gateway' ? 'server/dist/main.js' : 'worker/dist/main.js';
    const child = spawn(process.execPath, ['--conditions=production', '--enable-source-maps', entry], {
      cwd: root,
      env: { ...process.env, NEBULA_METRICS_PORT: String(metricsPorts[name]), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += `[${name}] ${d.toString()}`));
    child.stderr!.on('data', (d: Buffer) => (output += `[${name}] ${d.toString()}`));
    children[name] = child;
    return child;
  };
  const kill = async (name: 'gateway' | 'worker', signal: NodeJS.Signals) => {
    const child = children[name];
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };
  const startGateway = async () => {
    const child = spawnService('gateway');
    await waitFor(`the gateway on ${url}`, async () => {
      if (child.exitCode !== null) throw new Error(`the gateway exited (${child.exitCode}):\n${output}`);
      return (await fetch(`${url}/api/health`).catch(() => null)) !== null;
    }, 60_000, 100);
  };
  const startWorker = async () => {
    spawnService('worker');
    await waitFor('a healthy worker', async () => (await fetch(`${url}/api/health`).catch(() => null))?.status === 200, 60_000, 200);
  };

  const stop = async () => {
    await Promise.all([kill('gateway', 'SIGTERM'), kill('worker', 'SIGTERM')]);
    await s3?.stop();
    await redis.stop();
    await db.drop();
    await dir.remove();
  };
  try {
    await startGateway();
    if (options.worker !== false) await startWorker();
  } catch (error) {
    // A start that fails leaves nothing running (a test's afterAll has no handle to stop it with),
    // and says what the services printed.
    await stop();
    throw new Error(`${(error as Error).message}; the services printed:\n${output.slice(-4000)}`, { cause: error });
  }
  return {
    url,
    dataDir: dir.path,
    env,
    metrics: { gateway: `http://127.0.0.1:${metricsPorts.gateway}/metrics`, worker: `http://127.0.0.1:${metricsPorts.worker}/metrics` },
    output: () => output,
    killGateway: () => kill('gateway', 'SIGKILL'),
    startGateway,
    killWorker: () => kill('worker', 'SIGKILL'),
    startWorker,
    stop,
  };
}
