// docker-compose.worker.yml and docker-compose.nodes.yml, checked as files (no Docker engine in the
// ops project): parsed as YAML, with ${VAR} forms resolved by the small stand-in below (a test
// double for Compose's interpolation from `.env`, as in compose.test.ts). Where the `docker compose`
// client is installed, `docker compose config` (no engine needed) checks the override for real.
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Service {
  build?: { dockerfile: string };
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
}

const read = (path: string) => readFileSync(resolve(import.meta.dirname, '../..', path), 'utf8');
const node = parse(read('docker-compose.worker.yml')) as { name: string; services: Record<string, Service> };
const hwaccel = parse(read('docker-compose.hwaccel.yml')) as { services: Record<string, unknown> };
const nodes = parse(read('docker-compose.nodes.yml')) as { services: Record<string, Service & { command?: string[] }> };

function composeClient(): string | null {
  try {
    execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'the `docker compose` client is not installed';
  }
}

function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_, name: string, op: string | undefined, arg: string) => {
    const set = env[name] !== undefined && env[name] !== '';
    if (op === '-') return set ? env[name]! : arg;
    if (op === '?' && !set) throw new Error(`required variable ${name} is missing a value: ${arg}`);
    return env[name] ?? '';
  });
}

const env = {
  NEBULA_NODE_REDIS_URL: 'redis://:secret@100.101.1.1:6379',
  NEBULA_NODE_DATABASE_URL: 'postgres://nebula:pg@100.101.1.1:5432/nebula',
  NEBULA_NODE_S3_ENDPOINT: 'http://100.101.1.1:9000',
  MINIO_ROOT_USER: 'admin',
  MINIO_ROOT_PASSWORD: 'minio',
  NEBULA_NODE_NAME: 'desk',
};

describe('docker-compose.worker.yml: a worker node on another machine', () => {
  it('runs the worker alone, under its own project name, publishing nothing', () => {
    expect(node.name).toBe('nebula-node');
    expect(Object.keys(node.services)).toEqual(['worker']);
    const worker = node.services.worker!;
    expect(worker.build?.dockerfile).toBe('worker/Dockerfile');
    expect(worker.ports).toBeUndefined();
    expect(worker.healthcheck?.test).toEqual(['CMD', 'node', '/app/worker/dist/healthcheck.js']);
  });

  it("reaches the server's Redis, Postgres and object store at the addresses in .env, on the s3 driver", () => {
    const environment = Object.fromEntries(Object.entries(node.services.worker!.environment!).map(([k, v]) => [k, interpolate(String(v), env)]));
    expect(environment).toMatchObject({
      REDIS_URL: env.NEBULA_NODE_REDIS_URL,
      DATABASE_URL: env.NEBULA_NODE_DATABASE_URL,
      NEBULA_STORAGE_DRIVER: 's3',
      S3_ENDPOINT: env.NEBULA_NODE_S3_ENDPOINT,
      S3_ACCESS_KEY: 'admin',
      S3_SECRET_KEY: 'minio',
      NEBULA_NODE_NAME: 'desk',
    });
  });

  it('joins with NEBULA_SERVER_URL and NEBULA_JOIN_TOKEN alone (the server then says where everything is)', () => {
    const join = { NEBULA_SERVER_URL: 'http://100.101.1.1:8080', NEBULA_JOIN_TOKEN: `nbt_${'t'.repeat(43)}`, NEBULA_NODE_NAME: 'desk' };
    const environment = Object.fromEntries(Object.entries(node.services.worker!.environment!).map(([k, v]) => [k, interpolate(String(v), join)]));
    expect(environment).toMatchObject({ NEBULA_SERVER_URL: join.NEBULA_SERVER_URL, NEBULA_JOIN_TOKEN: join.NEBULA_JOIN_TOKEN, REDIS_URL: '', DATABASE_URL: '', S3_ENDPOINT: '' });
  });

  it('takes the GPU override as the main worker does (same service name)', () => {
    expect(Object.keys(hwaccel.services)).toEqual(['worker']);
    expect(read('docker-compose.worker.yml')).toContain('docker compose -f docker-compose.worker.yml -f docker-compose.hwaccel.yml up -d --build');
  });
});

describe('docker-compose.nodes.yml: Redis, Postgres and MinIO for worker nodes, on the tailnet address only', () => {
  const env = { NEBULA_TAILNET_ADDRESS: '100.101.1.1', NEBULA_REDIS_PASSWORD: 'abc123' };

  it('publishes the three ports bound to NEBULA_TAILNET_ADDRESS, and refuses to start without it', () => {
    expect(Object.fromEntries(['redis', 'postgres', 'minio'].map((name) => [name, nodes.services[name]!.ports!.map((p) => interpolate(p, env))]))).toEqual({
      redis: ['100.101.1.1:6379:6379'],
      postgres: ['100.101.1.1:5432:5432'],
      minio: ['100.101.1.1:9000:9000'],
    });
    for (const name of ['redis', 'postgres', 'minio']) {
      expect(() => interpolate(nodes.services[name]!.ports![0]!, { NEBULA_REDIS_PASSWORD: 'x' }), name).toThrow(/required variable NEBULA_TAILNET_ADDRESS/);
    }
  });

  it('puts a password on Redis, for its healthcheck and for the gateway and worker', () => {
    expect(nodes.services.redis!.command!.map((part) => interpolate(part, env))).toEqual(['redis-server', '--appendonly', 'yes', '--requirepass', 'abc123']);
    expect(interpolate(nodes.services.redis!.environment!.REDISCLI_AUTH!, env)).toBe('abc123');
    for (const name of ['gateway', 'worker']) expect(interpolate(nodes.services[name]!.environment!.REDIS_URL!, env)).toBe('redis://:abc123@redis:6379');
  });

  it.skipIf(composeClient() !== null)('passes `docker compose -f docker-compose.yml -f docker-compose.nodes.yml config`', async () => {
    const envFile = join(tmpdir(), `nebula-nodes-${process.pid}.env`);
    writeFileSync(envFile, 'POSTGRES_PASSWORD=pg\nMINIO_ROOT_USER=admin\nMINIO_ROOT_PASSWORD=minio-secret\nNEBULA_TAILNET_ADDRESS=100.101.1.1\nNEBULA_REDIS_PASSWORD=abc123\n');
    const { stdout } = await promisify(execFile)('docker', ['compose', '--env-file', envFile, '-f', 'docker-compose.yml', '-f', 'docker-compose.nodes.yml', 'config', '--format', 'json'], {
      cwd: resolve(import.meta.dirname, '../..'),
    }).finally(() => rmSync(envFile, { force: true }));
    const config = JSON.parse(stdout) as { services: Record<string, { ports?: { host_ip?: string; published?: string }[]; environment?: Record<string, string> }> };
    for (const [name, port] of [['redis', '6379'], ['postgres', '5432'], ['minio', '9000']] as const) {
      expect(config.services[name]!.ports, name).toEqual([expect.objectContaining({ host_ip: '100.101.1.1', published: port })]);
    }
    expect(config.services.gateway!.environment!.REDIS_URL).toBe('redis://:abc123@redis:6379');
    // The gateway's own port is still the edge's, on 127.0.0.1 by default.
    expect(config.services.edge!.ports).toEqual([expect.objectContaining({ host_ip: '127.0.0.1' })]);
  });
});
