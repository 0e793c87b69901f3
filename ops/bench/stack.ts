import { spawn } from 'node:child_process';
import { createReadStream, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'minio';
import * as tus from 'tus-js-client';
import { freePort } from '../embedded/processes';
import type { StackFile } from '../embedded/supervisor';
import { startRgw } from '../test-support/rgw-server';

export const root = join(import.meta.dirname, '..', '..');
export const MiB = 1024 * 1024;

export type BenchDriver = 'fs' | 's3';

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** BENCH_DRIVER: fs (files under the data folder, the default) or s3 (a Ceph RGW started for the run). */
export function benchDriver(): BenchDriver {
  const driver = process.env.BENCH_DRIVER ?? 'fs';
  if (driver !== 'fs' && driver !== 's3') throw new Error(`BENCH_DRIVER must be fs or s3, not "${driver}"`);
  return driver;
}

/** Where the s3 driver's objects live in a bench run: the bucket on the bench's own RGW. */
export interface BenchS3 {
  endpoint: string;
  region: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  client: Client;
}

/**
 * `npm start` on a fresh data folder and port, as a user would run it; with the s3 driver, against
 * a Ceph RGW of its own (ops/test-support/rgw-server.ts). RGW keeps objects in RAM: it may use up to
 * BENCH_RGW_MEMORY_MB (default: room for `objectBytes` twice, for Nebula's copy and the baseline's, plus 1 GiB).
 */
export async function startStack(driver: BenchDriver = 'fs', objectBytes = 0): Promise<{ url: string; dataDir: string; s3?: BenchS3; output: () => string; gatewayPid: () => number; stop: () => Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'nebula-bench-'));
  await chmod(dataDir, 0o755);
  const port = await freePort();
  const memoryBytes = process.env.BENCH_RGW_MEMORY_MB ? Number(process.env.BENCH_RGW_MEMORY_MB) * MiB : 2 * objectBytes + 1024 * MiB;
  const rgw = driver === 's3' ? await startRgw({ memoryBytes }) : undefined;
  const s3 = rgw ? { endpoint: rgw.endpoint, region: rgw.region, bucket: 'nebula-bench', accessKey: rgw.accessKey, secretKey: rgw.secretKey } : undefined;
  const storageEnv = s3
    ? { NEBULA_STORAGE_DRIVER: 's3', S3_ENDPOINT: s3.endpoint, S3_REGION: s3.region, S3_BUCKET: s3.bucket, S3_ACCESS_KEY: s3.accessKey, S3_SECRET_KEY: s3.secretKey }
    : { NEBULA_STORAGE_DRIVER: 'fs' };
  const child = spawn('node', ['ops/embedded/bootstrap.mjs'], { cwd: root, env: { ...process.env, NEBULA_DATA_DIR: dataDir, NEBULA_PORT: String(port), ...storageEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 180_000;
  while (!output.includes('Nebula is up')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await rgw?.stop();
      throw new Error(`npm start failed:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    ...(s3 ? { s3: { ...s3, client: s3Client(s3) } } : {}),
    /** Everything the stack printed so far. */
    output: () => output,
    gatewayPid: () => (JSON.parse(readFileSync(join(dataDir, 'run', 'stack.json'), 'utf8')) as StackFile).gateway!,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      await rgw?.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The same generator the tests use. */
export { makeRandomFile as makeFile } from '../test-support/random-file';

export function tusUpload(url: string, file: string, size: number, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    new tus.Upload(createReadStream(file), { endpoint: `${url}/api/uploads`, uploadSize: size, chunkSize: 256 * MiB, metadata: { filename: name }, onError: reject, onSuccess: () => resolve() }).start();
  });
}

/** Peak resident memory of a process so far (Linux VmHWM), in MB. */
export async function peakRssMb(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/**
 * Starts a new peak for peakRssMb (Linux: writing 5 to clear_refs resets VmHWM to the current RSS),
 * so a phase's peak is its own and not the upload's before it. Without the right to, the peak stays
 * the process's whole-life one.
 */
export async function resetPeakRss(pid: number): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(`/proc/${pid}/clear_refs`, '5').catch(() => undefined);
}

function s3Client(s3: Omit<BenchS3, 'client'>): Client {
  const url = new URL(s3.endpoint);
  return new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey: s3.accessKey, secretKey: s3.secretKey, region: s3.region, pathStyle: true });
}

/** rclone's remote for the bench's RGW, set up through the environment (no rclone.conf): use as `benchrgw:<bucket>/<path>`. */
export function rcloneS3Env(s3: BenchS3): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RCLONE_CONFIG_BENCHRGW_TYPE: 's3',
    RCLONE_CONFIG_BENCHRGW_PROVIDER: 'Ceph',
    RCLONE_CONFIG_BENCHRGW_ENDPOINT: s3.endpoint,
    RCLONE_CONFIG_BENCHRGW_REGION: s3.region,
    RCLONE_CONFIG_BENCHRGW_ACCESS_KEY_ID: s3.accessKey,
    RCLONE_CONFIG_BENCHRGW_SECRET_ACCESS_KEY: s3.secretKey,
    RCLONE_CONFIG_BENCHRGW_FORCE_PATH_STYLE: 'true',
  };
  // Debian's rclone fails to start with AWS_CA_BUNDLE set (see ../shared/TOOLCHAIN.md).
  delete env.AWS_CA_BUNDLE;
  return env;
}
