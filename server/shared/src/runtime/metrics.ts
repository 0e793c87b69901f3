import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { PreflightError } from './preflight';

/**
 * Prometheus metrics of one process (gateway or worker). Each app gets its own registry, so tests
 * that start several apps in one process do not collide, and the process metrics (CPU, memory,
 * event loop lag) come with it.
 */
export function createMetricsRegistry(service: 'gateway' | 'worker'): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * `GET /metrics` on its own listener. It is separate from the gateway's port on purpose: the
 * gateway's port is behind the tailnet guard and published to the host, while this one is only
 * reachable inside the compose network, where Prometheus scrapes it (never published).
 */
export function serveMetrics(registry: Registry, options: { host: string; port: number }): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET /metrics\n');
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are at /metrics\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(req.method === 'HEAD' ? undefined : body),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics could not be collected\n'),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new PreflightError(`the metrics port ${options.port} on ${options.host} is already in use (set NEBULA_METRICS_PORT to another port, or 0 for any)`)
          : error,
      ),
    );
    server.listen(options.port, options.host, () => {
      server.removeAllListeners('error');
      resolve(server);
    });
  });
}

export function metricsAddress(server: Server): string {
  const { address, port } = server.address() as AddressInfo;
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}/metrics`;
}

/**
 * Wraps every async method of an object (the object-storage port) so a rejected call counts as a
 * storage error of that operation, then rethrows it unchanged. `expected` failures (an object not
 * found is an answer, not an error) are not counted.
 */
export function countFailures<T extends object>(target: T, onFailure: (operation: string) => void, expected: (error: unknown) => boolean = () => false): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(object, args);
        if (result instanceof Promise) {
          return result.catch((error: unknown) => {
            if (!expected(error)) onFailure(property);
            throw error;
          });
        }
        return result;
      };
    },
  });
}

/** Object-storage failures, counted the same way by the gateway and the worker (see countFailures). */
export function storageErrorCounter(registry: Registry): Counter<'operation'> {
  return new Counter({
    name: 'nebula_storage_errors_total',
    help: 'Object storage calls that failed, by operation (a missing object is not an error).',
    labelNames: ['operation'] as const,
    registers: [registry],
  });
}

/** The /metrics listener of one app: started with it, closed with it (open scrapes included). */
export class MetricsListener {
  private server?: Server;

  constructor(
    private readonly registry: Registry,
    private readonly options: { host: string; port: number },
  ) {}

  /** Listens, and returns where /metrics answers. */
  async start(): Promise<string> {
    this.server = await serveMetrics(this.registry, this.options);
    return metricsAddress(this.server);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
