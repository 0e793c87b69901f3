import { Counter } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ObjectNotFoundError } from '../storage/object-storage';
import { countFailures, createMetricsRegistry, metricsAddress, serveMetrics } from './metrics';
import { PreflightError } from './preflight';

describe('the metrics listener', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function start(port = 0) {
    const registry = createMetricsRegistry('worker');
    const server = await serveMetrics(registry, { host: '127.0.0.1', port });
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    return { registry, server, url: metricsAddress(server) };
  }

  it('serves the registry in Prometheus text format at /metrics only, with the service label and process metrics', async () => {
    const { registry, url } = await start();
    new Counter({ name: 'nebula_test_total', help: 'test', registers: [registry] }).inc(3);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('nebula_test_total{service="worker"} 3');
    expect(text).toMatch(/^process_cpu_user_seconds_total\{service="worker"\} /m);
    expect((await fetch(url.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);
  });

  it('names the variable to change when its port is taken', async () => {
    const { server } = await start();
    const taken = (server.address() as { port: number }).port;
    await expect(start(taken)).rejects.toThrow(new PreflightError(`the metrics port ${taken} on 127.0.0.1 is already in use (set NEBULA_METRICS_PORT to another port, or 0 for any)`));
  });
});

describe('countFailures', () => {
  it('counts rejected calls by operation, rethrows them unchanged, and ignores expected ones', async () => {
    const failures: string[] = [];
    const storage = {
      async put() {
        throw new Error('disk full');
      },
      async get(key: string) {
        throw new ObjectNotFoundError(key);
      },
      async stat() {
        return 42;
      },
      name: 'fs',
    };
    const counted = countFailures(storage, (operation) => failures.push(operation), (e) => e instanceof ObjectNotFoundError);
    await expect(counted.put()).rejects.toThrow('disk full');
    await expect(counted.get('a')).rejects.toBeInstanceOf(ObjectNotFoundError);
    await expect(counted.stat()).resolves.toBe(42);
    expect(counted.name).toBe('fs');
    expect(failures).toEqual(['put']);
  });
});
