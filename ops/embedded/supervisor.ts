import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ConfigError, loadConfig, redactUrl, type Config } from '@nebula/shared';
import { describeStartupError, PreflightError, processRuns } from '@nebula/shared/runtime';
import { PostgresServer } from './postgres-server';
import { assertPortFree, commandLine, freePort, waitFor, waitForExit } from './processes';
import { RedisServer } from './redis-server';
import { Restarts } from './restarts';
import { buildServices, buildWeb, servicesBuildIsStale, webBuildIsStale } from './builds';

export interface StackFile {
  supervisorPid: number;
  url: string;
  postgres: { port: number; dataDir: string };
  redis: { port: number; pid?: number };
  gateway?: number;
  worker?: number;
  /** The Prometheus listeners of the gateway and the worker. */
  metrics?: { gateway: number; worker: number };
}

interface Secrets {
  postgresPassword: string;
}

const DATABASE = 'nebula';
/**
 * How the gateway's Node is started for its storage driver, the same in the image
 * (server/bin/gateway.sh; ops/test/compose.test.ts runs it for each driver and compares). They keep
 * its memory flat under a stream of request and file buffers:
 * - a small young generation (V8's default grows to 16 MiB or more): a buffer's memory comes back
 *   only when its small wrapper is collected, and a smaller young generation collects them sooner;
 * - an old generation allowed to grow to twice what was live after the last full collection (V8
 *   otherwise goes up to four times): under 50 range readers the gateway's heap grew from 51 MB
 *   live to 160 MB before each full collection, and its resident memory to 300–320 MB; with this,
 *   185–210 MB at the same throughput (ops/bench/range.ts);
 * - few malloc arenas (two; one on s3): glibc otherwise gives every thread that allocates (libuv's
 *   pool reads and writes files) an arena of its own, and the gateway's resident memory grew with
 *   each upload. With two and the other two settings, on two 1 GiB uploads to S3 in a row
 *   (ops/bench/upload.ts), the gateway's peak went from 258 MB to 185 MB, at the same speed; idle,
 *   from 164 MB to 128 MB.
 *
 * The drivers differ in what an upload costs, and so in the trade made:
 * - fs: a 4 MiB young generation, free memory kept by malloc up to 32 MiB, and two arenas. An
 *   upload to a disk is bound by the gateway's CPU. Node's HTTP parser copies every chunk of an
 *   upload's body into a new 64 KiB buffer, and with glibc's default (128 KiB) the freed ones went
 *   back to the kernel and came back as new pages a moment later: about a tenth of the gateway's
 *   CPU in a 2 GiB upload (page faults under llhttp's on_body). With 32 MiB, the gateway used
 *   2.8–3.1 s of CPU for a 2 GiB upload instead of 3.2–3.7 s, the upload took 3.5–3.7 s instead of
 *   3.7–4.6 s (8 MiB did not help); the price is up to that much memory kept after a burst.
 * - s3: a 1 MiB young generation, malloc's trim at 128 KiB (glibc's default value), and one malloc
 *   arena. An upload to S3 is bound by the S3 server (80 MB/s to the bench's RGW), and the
 *   gateway's buffers (the request's, then the part files read back to be sent) then lived long
 *   enough to pile up: with the fs settings, a 2 GiB upload took the gateway from 135 MB to
 *   221–240 MB (up to 60 MB of dead buffers awaiting a collection, then what malloc kept of
 *   them). With the first two, 191–217 MB (median 195, 7 uploads), at the same speed and with less
 *   CPU; either alone, 220–223 MB. One arena instead of two, on top: 182–204 MB (median 188,
 *   4 uploads), with the same CPU and speed. Range reads from S3 kept their speed
 *   (ops/bench/range.ts: 1.41× RGW's own). On the fs driver, the young generation and trim of s3
 *   made a 2 GiB upload take 8.6–8.8 s instead of 4.8–5.6 s.
 *   And --expose-gc: the gateway then collects its dead buffers at 16 MiB of growth instead of
 *   V8's 64 MiB (server/src/memory/dead-buffers.ts, with its cost). ops/bench/upload.ts (two 2 GiB
 *   uploads) then peaked at 160–168 MB (6 runs) against 185–200 MB without (3 runs), at the same
 *   speed; 50 range readers from S3 at 165 MB instead of 187. Not on fs: there an upload's
 *   buffers die young (the disk keeps up with the request), and the upload is short of CPU already.
 * A MALLOC_* variable set by the user wins.
 */
export function gatewayMemory(driver: string): { flags: string[]; env: Record<string, string> } {
  const [youngMiB, trimBytes, arenas, collector] = driver === 's3' ? [1, 128 * 1024, 1, ['--expose-gc']] : [4, 32 * 1024 * 1024, 2, []];
  return {
    flags: [`--max-semi-space-size=${youngMiB}`, '--heap-growing-percent=100', ...collector],
    env: { MALLOC_ARENA_MAX: String(arenas), MALLOC_TRIM_THRESHOLD_: String(trimBytes) },
  };
}
/** How often the supervisor checks that Postgres (not its child: pg_ctl daemonises it) still runs. */
const POSTGRES_WATCH_MS = 1000;

/**
 * `npm start`: the whole Nebula on one machine without Docker. Starts Postgres and Redis on free
 * loopback ports, then the gateway and the worker, waits until /api/health is green, and on
 * Ctrl-C / SIGTERM stops them in order: gateway and worker first, then Redis, then Postgres.
 * Meanwhile it supervises: a service that crashes (kill -9, OOM) is restarted with backoff (see
 * Restarts), on the same port, and the others carry on: they reconnect by themselves.
 */
export class Supervisor {
  private postgres?: PostgresServer;
  private redis?: RedisServer;
  private readonly children = new Map<string, ChildProcess>();
  /** One per supervised service: gateway, worker, redis, postgres. */
  private readonly restarts = new Map<string, Restarts>();
  private postgresWatch?: NodeJS.Timeout;
  private metricsPorts?: { gateway: number; worker: number };
  private stopping?: Promise<void>;

  constructor(
    private readonly root: string,
    private readonly config: Config,
  ) {}

  private get runDir(): string {
    return join(this.config.dataDir, 'run');
  }

  private get url(): string {
    return `http://${this.config.http.host}:${this.config.http.port}`;
  }

  async start(): Promise<void> {
    const { dataDir, http } = this.config;
    await assertPortFree(http.port, http.host);
    await mkdir(this.runDir, { recursive: true });
    await this.clearStaleStack();
    const secrets = await this.secrets();

    this.postgres = new PostgresServer({ dataDir: join(dataDir, 'postgres_data'), port: await freePort(), user: 'nebula', password: secrets.postgresPassword });
    if (!this.postgres.isInitialised) {
      say(`creating the Postgres cluster in ${this.postgres.options.dataDir} (first run)`);
      await this.postgres.initialise();
    }
    await this.postgres.start();
    await this.writeStack();
    await this.postgres.ensureDatabase(DATABASE);
    say(`postgres  127.0.0.1:${this.postgres.options.port}  (data: ${this.postgres.options.dataDir})`);
    this.superviseStores();

    this.redis = new RedisServer({ dir: join(dataDir, 'redis_data'), port: await freePort(), appendOnly: true, logFile: join(this.runDir, 'redis.log') });
    this.redis.onExit = (reason) => this.restarts.get('redis')!.crashed(reason);
    await this.redis.start();
    await this.writeStack();
    say(`redis     127.0.0.1:${this.redis.options.port}  (data: ${this.redis.options.dir}, append-only)`);
    this.metricsPorts = await this.chooseMetricsPorts();

    // Object storage as configured: fs under the data folder by default, or NEBULA_STORAGE_DRIVER=s3
    // with the S3_* variables (a NAS's MinIO, RGW, any S3 service), which the children inherit.
    const storage = this.config.storage;
    if (storage.driver === 's3') say(`storage   s3 ${redactUrl(storage.endpoint).replace(/\/$/, '')} bucket ${storage.bucket}`);
    if (storage.driver === 'fs') say(`storage   fs ${storage.root}`);

    if (await servicesBuildIsStale(this.root)) {
      say('building the gateway and the worker');
      await buildServices(this.root);
    }
    if (await webBuildIsStale(this.root)) {
      say('building the web UI');
      await buildWeb(this.root);
    }

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NEBULA_DATA_DIR: dataDir,
      DATABASE_URL: this.postgres.url(DATABASE),
      REDIS_URL: this.redis.url,
      NEBULA_WORKER_HEARTBEAT_FILE: join(this.runDir, 'worker-heartbeat'),
    };
    // Each process has its own metrics listener (chooseMetricsPorts).
    const ports = this.metricsPorts;
    // Started as the images start them (server/Dockerfile, worker/Dockerfile), so what the embedded
    // stack measures is what a compose install runs. No --enable-source-maps: it parses every loaded
    // module's map at start and keeps it (about 13 MB of the gateway's idle memory); a developer who
    // wants TypeScript lines in stack traces sets NODE_OPTIONS=--enable-source-maps, which reaches both.
    const memory = gatewayMemory(storage.driver);
    this.superviseService('gateway', [...memory.flags, 'server/dist/main.js'], { ...memory.env, ...env, NEBULA_METRICS_PORT: String(ports.gateway) });
    this.superviseService('worker', ['worker/dist/main.js'], { ...env, NEBULA_METRICS_PORT: String(ports.worker) });
    await this.writeStack();

    await this.waitUntilHealthy();
    say(`Nebula is up: ${this.url}  (Ctrl-C stops everything)`);
    const host = this.config.metrics.host.includes(':') ? `[${this.config.metrics.host}]` : this.config.metrics.host;
    say(`Prometheus metrics: http://${host}:${ports.gateway}/metrics (gateway), http://${host}:${ports.worker}/metrics (worker)`);
  }

  /**
   * The gateway's and the worker's metrics ports. NEBULA_METRICS_PORT set: that port and the next,
   * which must be free. Unset (9464 and 9465) or 0: those two if free, else any free ones, so a
   * second `npm start` on another NEBULA_PORT just works; the ports are printed either way.
   */
  private async chooseMetricsPorts(): Promise<{ gateway: number; worker: number }> {
    const { host, port } = this.config.metrics;
    const explicit = !!process.env.NEBULA_METRICS_PORT && port !== 0;
    const preferred = port === 0 ? undefined : { gateway: port, worker: port + 1 };
    if (preferred && (await isFree(preferred.gateway, host)) && (await isFree(preferred.worker, host))) return preferred;
    if (explicit) {
      const taken = (await isFree(port, host)) ? port + 1 : port;
      throw new PreflightError(`the metrics port ${taken} on ${host} is already in use (NEBULA_METRICS_PORT=${port} gives the gateway ${port} and the worker ${port + 1}; set another, or 0 for any free ones)`);
    }
    if (preferred) say(`metrics ports ${preferred.gateway} and ${preferred.worker} are taken (another Nebula?): using free ones instead`);
    const gateway = await freePort();
    let worker = await freePort();
    while (worker === gateway) worker = await freePort();
    return { gateway, worker };
  }

  /** Postgres and Redis are restarted when they die (Redis reports its exit; Postgres is polled). */
  private superviseStores(): void {
    this.restarts.set('postgres', new Restarts('postgres', () => this.postgres!.start(), say));
    this.restarts.set('redis', new Restarts('redis', async () => {
      await this.redis!.start();
      await this.writeStack();
    }, say));
    this.postgresWatch = setInterval(() => {
      const restarts = this.restarts.get('postgres')!;
      if (this.stopping || restarts.restarting) return;
      void this.postgres!.postmasterPid().then((pid) => {
        if (!pid && !this.stopping && !restarts.restarting) restarts.crashed('its postmaster is gone');
      });
    }, POSTGRES_WATCH_MS);
    this.postgresWatch.unref();
  }

  /** Stops everything this supervisor started, in dependency order. Safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.postgresWatch);
      for (const restarts of this.restarts.values()) restarts.cancel();
      await Promise.all([...this.children.entries()].map(([name, child]) => stopChild(name, child, (this.config.worker.shutdownGraceSeconds + 5) * 1000)));
      await this.redis?.stop();
      await this.postgres?.stop().catch((error: Error) => say(`postgres did not stop cleanly: ${error.message}`));
      await rm(join(this.runDir, 'stack.json'), { force: true });
    })();
    return this.stopping;
  }

  /** Starts a Node service and restarts it whenever it dies while the stack is not stopping. */
  private superviseService(name: string, args: string[], env: NodeJS.ProcessEnv): void {
    const restarts = new Restarts(name, async () => {
      this.spawnService(name, args, env, restarts);
      await this.writeStack();
    }, say);
    this.restarts.set(name, restarts);
    this.spawnService(name, args, env, restarts);
  }

  private spawnService(name: string, args: string[], env: NodeJS.ProcessEnv, restarts: Restarts): void {
    // Own process group: a Ctrl-C in the terminal reaches only the supervisor, which stops the
    // services in order. The IPC channel lets each service notice if the supervisor dies.
    const child = spawn(process.execPath, ['--conditions=production', ...args], {
      cwd: this.root,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${name}] ${readableLogLine(line)}\n`));
    }
    child.on('exit', (code, signal) => {
      if (this.children.get(name) === child) this.children.delete(name);
      // What it ran (ffmpeg under the worker) is in its process group: nothing of it may outlive it.
      killGroup(child.pid);
      if (this.stopping) return;
      restarts.crashed(signal ?? `exit ${code}`);
    });
    this.children.set(name, child);
  }

  private async waitUntilHealthy(): Promise<void> {
    let last = '';
    try {
      await waitFor('a healthy /api/health', async () => {
        if (this.stopping) throw new Error('stopping');
        const res = await fetch(`${this.url}/api/health`).catch(() => null);
        if (!res) return false;
        last = await res.text();
        return res.status === 200;
      }, 60_000, 250);
    } catch (error) {
      if (this.stopping) throw error;
      say(`Nebula started, but not every part is healthy yet: ${last || 'the gateway does not answer'}`);
    }
  }

  private async secrets(): Promise<Secrets> {
    const file = join(this.config.dataDir, 'embedded-secrets.json');
    if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as Secrets;
    const secrets: Secrets = { postgresPassword: randomBytes(18).toString('base64url') };
    await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    await chmod(file, 0o600);
    return secrets;
  }

  private async writeStack(): Promise<void> {
    const stack: StackFile = {
      supervisorPid: process.pid,
      url: this.url,
      postgres: { port: this.postgres!.options.port, dataDir: this.postgres!.options.dataDir },
      redis: { port: this.redis?.options.port ?? 0, pid: this.redis?.pid },
      gateway: this.children.get('gateway')?.pid,
      worker: this.children.get('worker')?.pid,
      metrics: this.metricsPorts,
    };
    await writeFile(join(this.runDir, 'stack.json'), JSON.stringify(stack, null, 2));
  }

  /**
   * A supervisor killed with SIGKILL leaves Postgres and Redis running (they are detached on
   * purpose). If another supervisor is alive on this data folder, refuse; if not, clean up after it.
   */
  private async clearStaleStack(): Promise<void> {
    const file = join(this.runDir, 'stack.json');
    if (!existsSync(file)) return;
    const stack = JSON.parse(await readFile(file, 'utf8')) as StackFile;
    if (stack.supervisorPid !== process.pid && processRuns(stack.supervisorPid) && (await commandLine(stack.supervisorPid)).includes('node')) {
      throw new PreflightError(`Nebula is already running on ${this.config.dataDir} (pid ${stack.supervisorPid}, ${stack.url}); stop it first`);
    }
    say('cleaning up after a Nebula that did not stop cleanly');
    for (const pid of [stack.gateway, stack.worker, stack.redis.pid]) {
      if (pid && processRuns(pid) && /node|redis/.test(await commandLine(pid))) {
        process.kill(pid, 'SIGTERM');
        await waitForExit(pid, 15_000);
      }
    }
    const stale = new PostgresServer({ dataDir: stack.postgres.dataDir, port: stack.postgres.port, user: 'nebula', password: '' });
    await stale.stop();
    await rm(file, { force: true });
  }
}

async function stopChild(name: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    say(`the ${name} did not stop within ${timeoutMs / 1000} s; killing it`);
    child.kill('SIGKILL');
  }, timeoutMs);
  await exited;
  clearTimeout(timer);
}

/** SIGKILL to a dead service's process group (it was spawned detached, so the group is its pid). */
function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Nothing left in it.
  }
}

async function isFree(port: number, host: string): Promise<boolean> {
  return assertPortFree(port, host).then(
    () => true,
    () => false,
  );
}

/**
 * The services write JSON lines (for Loki and jq); on this terminal a person reads them, so show
 * `time level context: message (trace 1a2b3c4d)`. Anything that is not a JSON log line passes as is.
 */
export function readableLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const entry = JSON.parse(line) as { time?: string; level?: string; context?: string; msg?: string; traceId?: string; err?: { stack?: string }; stack?: string };
    if (typeof entry.msg !== 'string') return line;
    const time = entry.time?.slice(11, 19) ?? '';
    const context = entry.context ? `${entry.context}: ` : '';
    const trace = entry.traceId ? ` (trace ${entry.traceId.slice(0, 8)})` : '';
    const stack = entry.err?.stack ?? entry.stack;
    return `${time} ${entry.level ?? ''} ${context}${entry.msg}${trace}${stack ? `\n${stack}` : ''}`;
  } catch {
    return line;
  }
}

function say(line: string): void {
  process.stdout.write(`nebula: ${line}\n`);
}

/** Entry point of `npm start` (after bootstrap.mjs has made sure the dependencies exist). */
export async function main(root: string): Promise<void> {
  let config: Config;
  try {
    // Database and Redis URLs are this supervisor's to decide; everything else is checked now,
    // before anything starts, so NEBULA_PORT=abc fails in the first second.
    config = loadConfig({ ...process.env, DATABASE_URL: 'postgres://embedded@127.0.0.1/nebula', REDIS_URL: 'redis://127.0.0.1' }, root);
    if (config.storage.driver === 'gateway') {
      throw new ConfigError(['NEBULA_STORAGE_DRIVER: gateway is for worker nodes that joined a server (npm run worker -- --server <url> --token <token>), not for npm start']);
    }
  } catch (error) {
    process.stderr.write(`nebula: ${describeStartupError(error)}\n`);
    process.exit(1);
  }
  const supervisor = new Supervisor(root, config);
  let signalled = false;
  const shutdown = (signal: string) => {
    if (signalled) return;
    signalled = true;
    say(`${signal}: stopping Nebula`);
    void supervisor.stop().then(() => {
      say('stopped');
      process.exit(0);
    });
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));
  // `npm start` does not pass a SIGTERM on to its script: when npm goes, we are re-parented. Notice
  // it and stop, so that killing npm never leaves Postgres and Redis behind.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && shutdown('npm exited'), 500).unref();
  try {
    await supervisor.start();
  } catch (error) {
    if (signalled) return;
    process.stderr.write(`nebula: ${describeStartupError(error)}\n`);
    await supervisor.stop();
    process.exit(1);
  }
}
