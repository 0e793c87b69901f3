// The monitoring stack (compose profile `observability`) cannot run here: no Docker engine. Its
// configs are parsed and held against what they depend on instead: the compose services and ports
// Prometheus scrapes, the metric names the gateway and worker register, and the JSON lines their
// real logger writes, run through promtail's pipeline as written (`promtailPipeline` below is a
// test double for promtail's json/labels/match stages, covering the forms the config uses).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '@nebula/shared';
import { createLogger, createMetricsRegistry, runWithTrace } from '@nebula/shared/runtime';

const repoRoot = resolve(__dirname, '../..');
const read = (path: string): string => readFileSync(resolve(repoRoot, path), 'utf8');
const yamlFile = <T>(path: string): T => parse(read(path), { merge: true }) as T;

interface Service {
  environment?: Record<string, string>;
  ports?: string[];
  network_mode?: string;
  profiles?: string[];
}
const compose = yamlFile<{ services: Record<string, Service> }>('docker-compose.yml');

/** The contract with the gateway and worker: every nebula_ metric and its labels. */
const NEBULA_METRICS: Record<string, { type: 'counter' | 'gauge' | 'histogram'; labels: string[] }> = {
  nebula_http_requests_total: { type: 'counter', labels: ['method', 'route', 'status'] },
  nebula_http_request_duration_seconds: { type: 'histogram', labels: ['method', 'route', 'status'] },
  nebula_upload_bytes_total: { type: 'counter', labels: [] },
  nebula_uploads_active: { type: 'gauge', labels: [] },
  nebula_transcode_jobs_total: { type: 'counter', labels: ['outcome', 'accel'] },
  nebula_transcode_duration_seconds: { type: 'histogram', labels: ['accel'] },
  nebula_encode_speed: { type: 'gauge', labels: [] },
  nebula_queue_jobs: { type: 'gauge', labels: ['queue', 'state'] },
  nebula_storage_errors_total: { type: 'counter', labels: ['operation'] },
};
/** Labels every series carries: Prometheus's own, and the registry's default `service`. */
const TARGET_LABELS = ['job', 'instance', 'service'];

// ---------- Prometheus ----------

interface ScrapeConfig {
  job_name: string;
  static_configs?: { targets: string[] }[];
  dns_sd_configs?: { names: string[]; type: string; port: number }[];
}
const prometheus = yamlFile<{ scrape_configs: ScrapeConfig[] }>('ops/observability/prometheus/prometheus.yml');

function targetsOf(job: string): string[] {
  const config = prometheus.scrape_configs.find((c) => c.job_name === job);
  if (!config) throw new Error(`prometheus.yml has no job ${job}`);
  return [
    ...(config.static_configs ?? []).flatMap((s) => s.targets),
    ...(config.dns_sd_configs ?? []).flatMap((d) => d.names.map((name) => `${name}:${d.port}`)),
  ];
}

/** The metrics port a compose service's app listens on, read as the app reads its config. */
function metricsListener(name: string): { host: string; port: number } {
  // Only the metrics settings matter here; a `${VAR:-default}` in them takes its default, as with an empty .env.
  const env = Object.fromEntries(
    Object.entries(compose.services[name]?.environment ?? {})
      .filter(([key]) => key.startsWith('NEBULA_METRICS_'))
      .map(([key, value]) => [key, String(value).replace(/\$\{\w+:-([^}]*)\}/g, '$1')]),
  );
  return loadConfig({ DATABASE_URL: 'postgres://nebula@postgres/nebula', REDIS_URL: 'redis://redis', ...env }).metrics;
}

describe('Prometheus scrape config', () => {
  it('scrapes the gateway and the worker at their compose service names, on the port their metrics listener uses', () => {
    expect(targetsOf('nebula-gateway')).toEqual(['gateway:9464']);
    expect(targetsOf('nebula-worker')).toEqual(['worker:9464']);
    for (const target of [...targetsOf('nebula-gateway'), ...targetsOf('nebula-worker')]) {
      const [host, port] = target.split(':');
      expect(Object.keys(compose.services), target).toContain(host);
      expect(metricsListener(host!).port, target).toBe(Number(port));
    }
  });

  it('finds the metrics listeners on the compose network: they listen on 0.0.0.0 there, and no port is published', () => {
    for (const name of ['gateway', 'worker']) {
      expect(metricsListener(name).host, `${name}: NEBULA_METRICS_HOST`).toBe('0.0.0.0');
      for (const port of compose.services[name]?.ports ?? []) expect(port.split(':').at(-1)).not.toBe('9464');
    }
    for (const name of ['gateway', 'worker', 'prometheus']) expect(compose.services[name]?.network_mode, name).toBeUndefined();
  });

  it('scrapes every worker replica: Docker DNS answers `worker` with one address per replica', () => {
    const worker = prometheus.scrape_configs.find((c) => c.job_name === 'nebula-worker');
    expect(worker?.dns_sd_configs).toEqual([{ names: ['worker'], type: 'A', port: 9464, refresh_interval: '30s' }]);
  });
});

// ---------- Grafana ----------

interface Target {
  expr: string;
  datasource?: { uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Target[];
}
const dashboard = JSON.parse(read('ops/observability/grafana/dashboards/nebula.json')) as { uid: string; title: string; panels: Panel[] };
const queries = dashboard.panels.filter((p) => p.type !== 'row');
const promQueries = queries.filter((p) => p.datasource?.uid === 'prometheus').flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
const lokiQueries = queries.filter((p) => p.datasource?.uid === 'loki').flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

interface Datasource {
  uid: string;
  type: string;
  url: string;
  jsonData?: { derivedFields?: { matcherRegex: string; url: string; datasourceUid: string }[] };
}
const datasources = yamlFile<{ datasources: Datasource[] }>('ops/observability/grafana/provisioning/datasources/datasources.yml').datasources;

/** The names prom-client's default metrics have in a real registry, as the gateway and worker create it. */
async function defaultMetricNames(): Promise<Set<string>> {
  const registry = createMetricsRegistry('gateway');
  const metrics = await registry.getMetricsAsJSON();
  return new Set(metrics.map((m) => m.name));
}

/** Every .ts file under a folder, for finding where a metric is registered. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts'))
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'));
}

const metricNamesIn = (expr: string): string[] => [...new Set(expr.match(/\b(?:nebula|process|nodejs)_[a-z0-9_]+/g) ?? [])];
const labelsIn = (expr: string): string[] => [
  ...[...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((l) => l.trim()).filter(Boolean)),
  ...[...expr.matchAll(/\{([^}]*)\}/g)].flatMap((m) => [...m[1]!.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]!)),
];

describe('the Grafana dashboard', () => {
  it('has panels for uploads, transcodes, the queue, errors and latency, each with its own id, on a 24-column grid', () => {
    expect(dashboard.uid).toBe('nebula-overview');
    const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows).toEqual(['Uploads', 'Transcodes', 'Queue', 'Errors', 'Latency and traffic', 'Logs']);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    expect(promQueries.length).toBeGreaterThanOrEqual(15);
  });

  it('queries only data sources that Grafana is provisioned with', () => {
    const uids = datasources.map((d) => d.uid);
    for (const p of queries) {
      expect(uids, p.title).toContain(p.datasource?.uid);
      for (const t of p.targets ?? []) expect(t.datasource?.uid ?? p.datasource?.uid, p.title).toBe(p.datasource?.uid);
    }
  });

  it('queries only metrics that the gateway and worker export, with labels those metrics have', async () => {
    const defaults = await defaultMetricNames();
    for (const { panel, expr } of promQueries) {
      const names = metricNamesIn(expr);
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      const allowed = new Set(TARGET_LABELS);
      for (const name of names) {
        const base = name.replace(/_(bucket|sum|count)$/, '');
        const nebula = NEBULA_METRICS[name] ?? (NEBULA_METRICS[base]?.type === 'histogram' ? NEBULA_METRICS[base] : undefined);
        if (name.startsWith('nebula_')) {
          expect(nebula, `${panel}: ${name} is not a Nebula metric`).toBeDefined();
          for (const label of nebula!.labels) allowed.add(label);
          if (name.endsWith('_bucket')) allowed.add('le');
        } else {
          expect(defaults.has(name), `${panel}: ${name} is not one of prom-client's default metrics`).toBe(true);
        }
      }
      for (const label of labelsIn(expr)) expect(allowed.has(label), `${panel}: label ${label} in ${expr}`).toBe(true);
    }
  });

  it('holds the metric names as the gateway, the worker and their shared runtime register them', () => {
    const folders = ['server/src', 'worker/src', 'server/shared/src/runtime'];
    const code = folders.flatMap((f) => sources(resolve(repoRoot, f))).join('\n');
    for (const [name, { labels }] of Object.entries(NEBULA_METRICS)) {
      const at = code.indexOf(`name: '${name}'`);
      expect(at, `${name} is registered nowhere in ${folders.join(', ')}`).toBeGreaterThanOrEqual(0);
      const declaration = code.slice(at, code.indexOf('registers:', at));
      const declared = /labelNames: \[([^\]]*)\]/.exec(declaration)?.[1]?.match(/'(\w+)'/g)?.map((l) => l.slice(1, -1)) ?? [];
      expect(declared, name).toEqual(labels);
    }
  });

  it('reads logs by the labels promtail makes', () => {
    const promtailLabels = ['job', 'container', 'stream', 'level', 'service'];
    expect(lokiQueries.length).toBeGreaterThan(0);
    for (const { panel, expr } of lokiQueries) {
      const selector = /^\{([^}]*)\}/.exec(expr)?.[1] ?? '';
      for (const [, label] of selector.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)) expect(promtailLabels, `${panel}: ${expr}`).toContain(label);
    }
  });

  it('points Grafana at the Prometheus and Loki services on their ports', () => {
    const loki = yamlFile<{ server: { http_listen_port: number } }>('ops/observability/loki/loki.yml');
    expect(Object.fromEntries(datasources.map((d) => [d.uid, d.url]))).toEqual({
      prometheus: 'http://prometheus:9090',
      loki: `http://loki:${loki.server.http_listen_port}`,
    });
  });
});

// ---------- promtail and Loki ----------

type Stage = Record<string, unknown>;
interface PromtailConfig {
  clients: { url: string }[];
  scrape_configs: { job_name: string; static_configs: { labels: Record<string, string> }[]; pipeline_stages: Stage[] }[];
}
const promtail = yamlFile<PromtailConfig>('ops/observability/promtail/promtail.yml');

/** A JMESPath of the two forms the config uses: `field` and `field."dotted.key"`. */
function lookup(object: unknown, path: string): unknown {
  const parts = [...path.matchAll(/"([^"]+)"|([^.]+)/g)].map((m) => m[1] ?? m[2]!);
  return parts.reduce<unknown>((value, part) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined), object);
}

/** LogQL label matchers of a `match` selector against a label set (an absent label is ""). */
function matches(selector: string, labels: Record<string, string>): boolean {
  return [...selector.matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)].every(([, name, op, value]) => {
    const actual = labels[name!] ?? '';
    const re = new RegExp(`^(?:${value})$`);
    return op === '=' ? actual === value : op === '!=' ? actual !== value : op === '=~' ? re.test(actual) : !re.test(actual);
  });
}

/** The test double of promtail's pipeline: what becomes of one line of a Docker json-file log. */
function promtailPipeline(stages: Stage[], line: string, labels: Record<string, string>): { dropped: boolean; line: string; labels: Record<string, string>; timestamps: string[] } {
  let extracted: Record<string, unknown> = {};
  const timestamps: string[] = [];
  for (const stage of stages) {
    const [kind, spec] = Object.entries(stage)[0] as [string, Record<string, unknown>];
    if (kind === 'json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        continue;
      }
      const expressions = spec.expressions as Record<string, string>;
      extracted = { ...extracted, ...Object.fromEntries(Object.entries(expressions).map(([name, path]) => [name, lookup(parsed, path)])) };
    } else if (kind === 'labels') {
      for (const [name, source] of Object.entries(spec)) {
        const value = extracted[(source as string | null) ?? name];
        if (typeof value === 'string' && value !== '') labels[name] = value;
      }
    } else if (kind === 'labeldrop') {
      for (const name of stage.labeldrop as string[]) delete labels[name];
    } else if (kind === 'output') {
      line = String(extracted[spec.source as string]);
    } else if (kind === 'timestamp') {
      timestamps.push(String(extracted[spec.source as string]));
    } else if (kind === 'match') {
      if (!matches(spec.selector as string, labels)) continue;
      if (spec.action === 'drop') return { dropped: true, line, labels, timestamps };
      const inner = promtailPipeline(spec.stages as Stage[], line, labels);
      return { ...inner, timestamps: [...timestamps, ...inner.timestamps] };
    } else {
      throw new Error(`the test double does not know promtail's ${kind} stage`);
    }
  }
  return { dropped: false, line, labels, timestamps };
}

/** One real line from the logger the gateway and worker use, inside a job's trace. */
function realLogLine(service: 'gateway' | 'worker'): string {
  let written = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written += chunk.toString();
      done();
    },
  });
  const logger = createLogger(service, 'info', sink);
  runWithTrace({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', fileId: '0b1e8f0e-4a55-4c8e-9f61-3f1c0c7f0d2a', jobId: '17' }, () =>
    logger.warn({ context: 'transcode' }, 'VAAPI failed, falling back to software'),
  );
  return written.trim();
}

/** What Docker's json-file driver writes for that line, with the labels compose asks it to add. */
function dockerJsonLine(line: string, project: string, service: string): string {
  const logging = (compose.services[service] as { logging?: { options: { labels: string } } } | undefined)?.logging;
  const attrs = Object.fromEntries((logging?.options.labels ?? '').split(',').map((label) => [label, label.endsWith('.project') ? project : service]));
  return JSON.stringify({ log: `${line}\n`, stream: 'stdout', attrs, time: '2026-11-30T21:15:00.123456789Z' });
}

describe('promtail', () => {
  const [job] = promtail.scrape_configs;
  const run = (service: string, line: string, project = 'nebula') =>
    promtailPipeline(job!.pipeline_stages, dockerJsonLine(line, project, service), { ...job!.static_configs[0]!.labels });

  it("reads Docker's json-file logs and pushes to the Loki service on its port", () => {
    const loki = yamlFile<{ server: { http_listen_port: number } }>('ops/observability/loki/loki.yml');
    expect(job!.static_configs[0]!.labels.__path__).toBe('/var/lib/docker/containers/*/*-json.log');
    expect(promtail.clients).toEqual([{ url: `http://loki:${loki.server.http_listen_port}/loki/api/v1/push` }]);
  });

  it("turns a worker's JSON line into level and service labels, keeping trace, file and job ids in the line", () => {
    const line = realLogLine('worker');
    const result = run('worker', line);
    expect(result.dropped).toBe(false);
    const { __path__: _path, ...labels } = result.labels;
    expect(labels).toEqual({ job: 'nebula', container: 'worker', stream: 'stdout', level: 'warn', service: 'worker' });
    expect(result.line).toBe(`${line}\n`);
    expect(JSON.parse(result.line)).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', fileId: '0b1e8f0e-4a55-4c8e-9f61-3f1c0c7f0d2a', jobId: '17', msg: 'VAAPI failed, falling back to software' });
    // The app's own time wins over Docker's: the last timestamp stage is the line's ISO 8601 time.
    expect(result.timestamps.at(-1)).toBe(JSON.parse(line).time);
    expect(new Date(result.timestamps.at(-1)!).toISOString()).toBe(JSON.parse(line).time);
  });

  it("labels the gateway's lines as the gateway's", () => {
    expect(run('gateway', realLogLine('gateway')).labels).toMatchObject({ container: 'gateway', service: 'gateway', level: 'warn' });
  });

  it('keeps the plain lines of MinIO, Postgres and Redis with their container label only, and drops other projects', () => {
    const postgres = run('postgres', 'LOG:  database system is ready to accept connections');
    expect(postgres.dropped).toBe(false);
    expect(postgres.labels).toMatchObject({ container: 'postgres' });
    expect(postgres.labels.level).toBeUndefined();
    expect(run('gateway', realLogLine('gateway'), 'someone-else').dropped).toBe(true);
  });

  it('lets Grafana link a trace id in a line to every line of that trace', () => {
    const loki = datasources.find((d) => d.uid === 'loki');
    const [traceLink] = loki?.jsonData?.derivedFields ?? [];
    expect(new RegExp(traceLink!.matcherRegex).exec(realLogLine('gateway'))?.[1]).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    // `$$` is Grafana's escape for a literal `$` in provisioning files.
    expect(traceLink!.url).toBe('{service=~"gateway|worker"} |= "$${__value.raw}"');
    expect(traceLink!.datasourceUid).toBe('loki');
  });
});
