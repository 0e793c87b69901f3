import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthReport } from '@nebula/contract';
import { freePort } from '../embedded/processes';
import { gatewayMemory } from '../embedded/supervisor';
import { gatewayStart } from '../test-support/npm-start';
import { s3Client, startS3, type TestBucket } from '../test-support/s3-server';
import { tempDir } from '../test-support/services';

const root = join(import.meta.dirname, '..', '..');

/**
 * `npm start` against the user's own S3 (here the run's Ceph RGW, as a NAS's MinIO would be):
 * NEBULA_STORAGE_DRIVER=s3 and the S3_* variables are honoured, fs stays the default.
 */
describe('npm start with NEBULA_STORAGE_DRIVER=s3', () => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  let s3: TestBucket;
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    [data, s3] = await Promise.all([tempDir('nebula-start-s3-'), startS3()]);
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      process.kill(-child.pid!, 'SIGINT'); // Ctrl-C, as a user stops it
      await exited;
    }
    await s3?.stop();
    await data?.remove();
  });

  it('runs the gateway and worker on the S3 bucket, and /api/health names the driver and endpoint', { timeout: 240_000 }, async () => {
    const port = await freePort();
    child = spawn('npm', ['start'], {
      cwd: root,
      env: {
        ...process.env,
        NEBULA_DATA_DIR: data.path,
        NEBULA_PORT: String(port),
        NEBULA_METRICS_PORT: '0',
        NEBULA_STORAGE_DRIVER: 's3',
        S3_ENDPOINT: s3.endpoint,
        S3_REGION: s3.region,
        S3_BUCKET: s3.bucket,
        S3_ACCESS_KEY: s3.accessKey,
        S3_SECRET_KEY: s3.secretKey,
      },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await expect.poll(() => /Nebula is up/.test(output) || child!.exitCode !== null, { timeout: 200_000, interval: 500 }).toBe(true);
    expect(output).toContain(`storage   s3 ${s3.endpoint} bucket ${s3.bucket}`);

    const res = await fetch(`http://127.0.0.1:${port}/api/health`);
    const body = (await res.json()) as HealthReport;
    expect(body.checks.storage).toEqual({ state: 'ok', driver: 's3', endpoint: s3.endpoint });
    expect(res.status).toBe(200);
    // The bucket was made on the S3 server, and no objects folder on disk is used.
    expect(await s3Client().bucketExists(s3.bucket)).toBe(true);
    expect(output).not.toContain(`storage   fs`);

    // Node's settings for a gateway on S3, which differ from fs's (gatewayMemory says why).
    const started = gatewayStart(data.path);
    const memory = gatewayMemory('s3');
    expect(started.args).toEqual(expect.arrayContaining([...memory.flags, 'server/dist/main.js']));
    for (const [name, value] of Object.entries(memory.env)) expect(started.env).toContain(`${name}=${value}`);
  });
});
