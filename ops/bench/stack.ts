import { spawn } from 'node:child_process';
import { createReadStream, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tus from 'tus-js-client';
import { freePort } from '../embedded/processes';
import type { StackFile } from '../embedded/supervisor';

export const root = join(import.meta.dirname, '..', '..');
export const MiB = 1024 * 1024;

/** `npm start` on a fresh data folder and port, as a user would run it. */
export async function startStack(): Promise<{ url: string; dataDir: string; gatewayPid: () => number; stop: () => Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'nebula-bench-'));
  await chmod(dataDir, 0o755);
  const port = await freePort();
  const child = spawn('node', ['ops/embedded/bootstrap.mjs'], { cwd: root, env: { ...process.env, NEBULA_DATA_DIR: dataDir, NEBULA_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 180_000;
  while (!output.includes('Nebula is up')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start failed:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    gatewayPid: () => (JSON.parse(readFileSync(join(dataDir, 'run', 'stack.json'), 'utf8')) as StackFile).gateway!,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
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
