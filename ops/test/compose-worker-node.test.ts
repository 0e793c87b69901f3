// docker-compose.worker.yml, checked as a file (no Docker engine in the ops project): parsed as
// YAML, with ${VAR} forms resolved by the small stand-in below (a test double for Compose's
// interpolation from `.env`, as in compose.test.ts).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
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
    expect(() => interpolate(node.services.worker!.environment!.REDIS_URL!, {})).toThrow(
      "required variable NEBULA_NODE_REDIS_URL is missing a value: set NEBULA_NODE_REDIS_URL in .env to the server's Redis on its tailnet address",
    );
  });

  it('takes the GPU override as the main worker does (same service name)', () => {
    expect(Object.keys(hwaccel.services)).toEqual(['worker']);
    expect(read('docker-compose.worker.yml')).toContain('docker compose -f docker-compose.worker.yml -f docker-compose.hwaccel.yml up -d --build');
  });
});
