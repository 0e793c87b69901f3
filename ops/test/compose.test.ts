// These tests need no Docker engine: the compose files and Dockerfiles are checked, not run (parsed
// as YAML and read as text; ops/test/compose-e2e.test.ts runs them on a real engine). The gateway's
// start script is run, with a test double for `node` that prints what it was given.
// `interpolate` below is a test double for Compose's ${VAR} substitution from `.env`, covering
// the three forms the files use: ${VAR}, ${VAR:-default} and ${VAR:?message}.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it, expect } from 'vitest';
import { parse } from 'yaml';
import { gatewayMemory } from '../embedded/supervisor';

type Env = Record<string, string | undefined>;

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; secrets?: string[] };
  restart?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
  network_mode?: string;
  devices?: string[];
  group_add?: string[];
  profiles?: string[];
  logging?: { driver: string; options: Record<string, string> };
}

interface ComposeFile {
  name?: string;
  services: Record<string, Service>;
  volumes?: unknown;
}

const repoRoot = resolve(__dirname, '../..');
const repoFile = (path: string): string => readFileSync(resolve(repoRoot, path), 'utf8');
// Compose resolves `<<:` merge keys; YAML 1.2 leaves them off unless asked.
const readCompose = (path: string): ComposeFile => parse(repoFile(path), { merge: true }) as ComposeFile;

const base = readCompose('docker-compose.yml');
const hwaccel = readCompose('docker-compose.hwaccel.yml');

function interpolate<T>(value: T, env: Env): T {
  if (typeof value === 'string') {
    const pattern = /\$\$|\$\{(\w+)(?::([-?])([^}]*))?\}/g;
    return value.replace(pattern, (match, name: string, op: string | undefined, arg: string) => {
      if (match === '$$') return '$';
      const set = env[name] !== undefined && env[name] !== '';
      if (op === '-') return set ? env[name]! : arg;
      if (op === '?' && !set) throw new Error(`required variable ${name} is missing a value: ${arg}`);
      return env[name] ?? '';
    }) as T;
  }
  if (Array.isArray(value)) return value.map((item) => interpolate(item, env)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, env)])) as T;
  }
  return value;
}

// The least a `.env` must hold.
const secrets = { POSTGRES_PASSWORD: 'pg-secret', MINIO_ROOT_USER: 'nebula-admin', MINIO_ROOT_PASSWORD: 'minio-secret' };

const services = (env: Env = secrets): Record<string, Service> => interpolate(base, env).services;
// The services of a plain `docker compose up`; the monitoring ones come with `--profile observability`.
const CORE = ['edge', 'gateway', 'minio', 'postgres', 'redis', 'worker'];
const OBSERVABILITY = ['grafana', 'loki', 'prometheus', 'promtail'];
const core = (env: Env = secrets): Record<string, Service> => Object.fromEntries(Object.entries(services(env)).filter(([name]) => CORE.includes(name)));

const service = (name: string, env: Env = secrets): Service => {
  const found = services(env)[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
};

describe('docker-compose.yml: the server stack', () => {
  it('runs six services under the fixed project name nebula, and the monitoring ones only under their profile', () => {
    expect(base.name).toBe('nebula');
    expect(Object.keys(base.services).sort()).toEqual([...CORE, ...OBSERVABILITY].sort());
    const unprofiled = Object.entries(base.services).filter(([, s]) => !s.profiles).map(([name]) => name);
    expect(unprofiled.sort()).toEqual(CORE);
  });

  it('restarts every service unless it was stopped by hand', () => {
    for (const s of Object.values(services())) expect(s.restart).toBe('unless-stopped');
  });

  it('asks every service whether it is healthy', () => {
    const tests = Object.fromEntries(Object.entries(core()).map(([name, s]) => [name, s.healthcheck?.test]));
    expect(tests).toEqual({
      edge: ['CMD', 'node', '-e', "require('net').connect(8080, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))"],
      gateway: [
        'CMD',
        'node',
        '-e',
        "fetch('http://127.0.0.1:8080/api/health').then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))",
      ],
      worker: ['CMD', 'node', '/app/worker/dist/healthcheck.js'],
      minio: ['CMD', 'mc', 'ready', 'local'],
      postgres: ['CMD', 'pg_isready', '-U', 'nebula', '-d', 'nebula'],
      redis: ['CMD-SHELL', 'redis-cli ping | grep -q PONG'],
    });
  });

  it('starts the gateway and the worker only once postgres, redis and minio are healthy', () => {
    const healthy = { condition: 'service_healthy' };
    const expected = { postgres: healthy, redis: healthy, minio: healthy };
    expect(service('gateway').depends_on).toEqual(expected);
    expect(service('worker').depends_on).toEqual(expected);
  });

  it('publishes the edge in front of the gateway on 127.0.0.1:8080 by default, and no other service at all', () => {
    expect(service('edge').ports).toEqual(['127.0.0.1:8080:8080']);
    for (const name of ['gateway', 'worker', 'minio', 'postgres', 'redis', 'prometheus', 'loki', 'promtail']) {
      expect(service(name).ports, name).toBeUndefined();
      expect(service(name).network_mode, name).toBeUndefined();
    }
  });

  it('publishes the edge on the Tailscale address and port named in .env, the gateway still listening on 8080 inside', () => {
    const env = { ...secrets, NEBULA_BIND: '100.101.102.103', NEBULA_PORT: '8443' };
    expect(service('edge', env).ports).toEqual(['100.101.102.103:8443:8080']);
    const gateway = service('gateway', env);
    expect(gateway.environment?.NEBULA_HOST).toBe('0.0.0.0');
    expect(gateway.environment?.NEBULA_PORT).toBe('8080');
  });

  it('keeps all state in bind mounts under ./data/', () => {
    expect(service('minio').volumes).toEqual(['./data/minio_storage:/data']);
    // postgres:18 keeps its cluster in /var/lib/postgresql/18/docker, under this mount.
    expect(service('postgres').volumes).toEqual(['./data/postgres_data:/var/lib/postgresql']);
    expect(service('redis').volumes).toEqual(['./data/redis_data:/data']);
    // The gateway's mounts: the deploy hook's history and tailscaled's socket folder, read-only (empty ./data folders without them).
    expect(service('gateway').volumes).toEqual(['./data/deploy-history:/var/lib/nebula/deploy-history:ro', './data/tailscale:/var/run/tailscale:ro']);
    expect(service('worker').volumes).toBeUndefined();
    // The deploy hook names one absolute folder for every release (NEBULA_STATE_DIR), so a deploy
    // does not change the mounts, and compose does not recreate these services.
    const hooked = { ...secrets, NEBULA_STATE_DIR: '/home/me/nebula/shared/data' };
    expect(service('postgres', hooked).volumes).toEqual(['/home/me/nebula/shared/data/postgres_data:/var/lib/postgresql']);
    expect(service('minio', hooked).volumes).toEqual(['/home/me/nebula/shared/data/minio_storage:/data']);
    expect(service('redis', hooked).volumes).toEqual(['/home/me/nebula/shared/data/redis_data:/data']);
    // The only named volumes: the monitoring services' own data (see the observability checks).
    expect(Object.keys(base.volumes ?? {}).sort()).toEqual(['grafana_data', 'loki_data', 'prometheus_data', 'promtail_data']);
  });

  it('runs Postgres 18, Redis 7 with its append-only file, and MinIO with the root user from .env', () => {
    expect(service('postgres').image).toBe('postgres:18');
    expect(service('postgres').environment).toEqual({ POSTGRES_USER: 'nebula', POSTGRES_DB: 'nebula', POSTGRES_PASSWORD: 'pg-secret' });
    expect(service('redis').image).toBe('redis:7');
    expect(service('redis').command).toEqual(['redis-server', '--appendonly', 'yes']);
    expect(service('minio').image).toBe('minio/minio:RELEASE.2025-09-07T16-13-09Z');
    expect(service('minio').command).toEqual(['server', '/data', '--console-address', ':9001']);
    expect(service('minio').environment).toEqual({ MINIO_ROOT_USER: 'nebula-admin', MINIO_ROOT_PASSWORD: 'minio-secret' });
  });

  it('points the gateway and the worker at postgres, redis and minio with the secrets from .env', () => {
    const shared = {
      NODE_ENV: 'production',
      NEBULA_LOG_LEVEL: 'info',
      NEBULA_DATA_DIR: '/var/lib/nebula',
      DATABASE_URL: 'postgres://nebula:pg-secret@postgres:5432/nebula',
      REDIS_URL: 'redis://redis:6379',
      NEBULA_STORAGE_DRIVER: 's3',
      S3_ENDPOINT: 'http://minio:9000',
      S3_REGION: 'us-east-1',
      S3_BUCKET: 'nebula',
      S3_ACCESS_KEY: 'nebula-admin',
      S3_SECRET_KEY: 'minio-secret',
      NEBULA_METRICS_HOST: '0.0.0.0',
      NEBULA_METRICS_PORT: '9464',
    };
    expect(service('gateway').environment).toEqual({
      ...shared,
      NEBULA_HOST: '0.0.0.0',
      NEBULA_PORT: '8080',
      NEBULA_DEPLOY_HISTORY_DIR: '/var/lib/nebula/deploy-history',
      // The tailnet guard; ops/test/tailnet.test.ts checks these in detail.
      NEBULA_ALLOWED_CIDRS: '100.64.0.0/10,fd7a:115c:a1e0::/48,127.0.0.0/8,::1/128,172.30.57.0/24',
      NEBULA_TRUSTED_PROXIES: '127.0.0.0/8,::1/128,172.30.57.0/24',
      NEBULA_TAILSCALE_SOCKET: '',
      // Browser rules and the upload limit: empty, the gateway's defaults (README, "Security model").
      NEBULA_ALLOWED_HOSTS: '',
      NEBULA_ALLOWED_ORIGINS: '',
      NEBULA_MAX_UPLOAD_SIZE: '',
      // The s3 driver's read cache: empty, its default size (.env.example).
      NEBULA_READ_CACHE_SIZE: '',
      // sendfile for files on the gateway's disk: empty, its default (on).
      NEBULA_SENDFILE: '',
      // What the deploy hook exports for GET /api/version (empty under a plain `docker compose up`).
      NEBULA_COMMIT: '',
      NEBULA_RELEASE: '',
    });
    expect(service('worker').environment).toEqual({
      ...shared,
      NEBULA_HWACCEL: 'auto',
      NEBULA_HW_DEVICE: '/dev/dri/renderD128',
      NEBULA_WORKER_CONCURRENCY: '1',
      NEBULA_WORKER_HEARTBEAT_FILE: '/tmp/nebula-worker-heartbeat',
    });
  });

  it('takes the worker settings and the log level from .env when they are there', () => {
    const worker = service('worker', {
      ...secrets,
      NEBULA_HWACCEL: 'qsv',
      NEBULA_HW_DEVICE: '/dev/dri/renderD129',
      NEBULA_WORKER_CONCURRENCY: '2',
      NEBULA_LOG_LEVEL: 'debug',
    });
    expect(worker.environment).toMatchObject({
      NEBULA_HWACCEL: 'qsv',
      NEBULA_HW_DEVICE: '/dev/dri/renderD129',
      NEBULA_WORKER_CONCURRENCY: '2',
      NEBULA_LOG_LEVEL: 'debug',
    });
  });

  it("takes the gateway's read settings from .env when they are there", () => {
    // .env.example offers both; NEBULA_SENDFILE did not reach the gateway before.
    expect(service('gateway', { ...secrets, NEBULA_READ_CACHE_SIZE: '2G', NEBULA_SENDFILE: 'false' }).environment).toMatchObject({ NEBULA_READ_CACHE_SIZE: '2G', NEBULA_SENDFILE: 'false' });
  });

  it('refuses to start without a secret, naming the one to set in .env', () => {
    for (const name of Object.keys(secrets)) {
      const env: Env = { ...secrets, [name]: undefined };
      expect(() => services(env), name).toThrow(`required variable ${name} is missing a value: set ${name} in .env`);
    }
  });

  it('gives the worker a minute to finish or hand back its job when it is stopped', () => {
    expect(service('worker').stop_grace_period).toBe('60s');
    expect(service('gateway').stop_grace_period).toBe('30s');
  });

  it('builds the gateway and the worker from the repository root with their own Dockerfiles', () => {
    expect(service('gateway').build).toEqual({ context: '.', dockerfile: 'server/Dockerfile', secrets: ['extra_ca'] });
    expect(service('worker').build).toEqual({ context: '.', dockerfile: 'worker/Dockerfile', secrets: ['extra_ca'] });
  });
});

describe('docker-compose.yml: the observability profile', () => {
  it('runs Prometheus, Loki, promtail and Grafana from pinned images, only with --profile observability', () => {
    const images = Object.fromEntries(OBSERVABILITY.map((name) => [name, service(name).image]));
    expect(images).toEqual({
      grafana: 'grafana/grafana:12.4.3',
      loki: 'grafana/loki:3.6.11',
      prometheus: 'prom/prometheus:v3.13.0',
      promtail: 'grafana/promtail:3.6.11',
    });
    for (const name of OBSERVABILITY) {
      expect(service(name).profiles, name).toEqual(['observability']);
      expect(service(name).restart, name).toBe('unless-stopped');
    }
  });

  it('publishes Grafana on 127.0.0.1 only, even when the gateway is on the Tailscale address', () => {
    expect(service('grafana').ports).toEqual(['127.0.0.1:3000:3000']);
    const env = { ...secrets, NEBULA_BIND: '100.101.102.103', GRAFANA_PORT: '3300' };
    expect(service('grafana', env).ports).toEqual(['127.0.0.1:3300:3000']);
  });

  it('never publishes the metrics port of the gateway or the worker', () => {
    for (const s of Object.values(services())) {
      for (const port of s.ports ?? []) expect(port).not.toMatch(/9464/);
    }
  });

  it('mounts the configs from ops/observability read-only, and they exist', () => {
    const mounts = OBSERVABILITY.flatMap((name) => (service(name).volumes ?? []).filter((v) => v.startsWith('./ops/')));
    expect(mounts.sort()).toEqual([
      './ops/observability/grafana/dashboards:/etc/grafana/dashboards:ro',
      './ops/observability/grafana/provisioning:/etc/grafana/provisioning:ro',
      './ops/observability/loki/loki.yml:/etc/loki/loki.yml:ro',
      './ops/observability/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
      './ops/observability/promtail/promtail.yml:/etc/promtail/promtail.yml:ro',
    ]);
    for (const mount of mounts) expect(existsSync(resolve(repoRoot, mount.split(':')[0]!)), mount).toBe(true);
    expect(service('prometheus').command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(service('loki').command).toEqual(['-config.file=/etc/loki/loki.yml']);
    expect(service('promtail').command).toEqual(['-config.file=/etc/promtail/promtail.yml']);
  });

  it("lets promtail read Docker's log files read-only, without the Docker socket", () => {
    const volumes = service('promtail').volumes ?? [];
    expect(volumes).toContain('/var/lib/docker/containers:/var/lib/docker/containers:ro');
    expect(service('promtail', { ...secrets, DOCKER_CONTAINERS_DIR: '/srv/docker/containers' }).volumes).toContain(
      '/srv/docker/containers:/var/lib/docker/containers:ro',
    );
    for (const s of Object.values(services())) {
      for (const volume of s.volumes ?? []) expect(volume).not.toContain('docker.sock');
    }
  });

  it('rotates every log file and tags its lines with the compose project and service, for promtail', () => {
    for (const [name, s] of Object.entries(services())) {
      expect(s.logging, name).toEqual({
        driver: 'json-file',
        options: { 'max-size': '10m', 'max-file': '5', labels: 'com.docker.compose.project,com.docker.compose.service' },
      });
    }
  });

  it('keeps metrics and logs in named volumes, and asks Prometheus whether it is healthy', () => {
    expect(service('prometheus').volumes).toContain('prometheus_data:/prometheus');
    expect(service('loki').volumes).toContain('loki_data:/loki');
    expect(service('promtail').volumes).toContain('promtail_data:/var/lib/promtail');
    expect(service('grafana').volumes).toContain('grafana_data:/var/lib/grafana');
    expect(service('prometheus').healthcheck?.test).toEqual(['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:9090/-/ready']);
  });

  it("starts without a Grafana password in .env (Grafana's own admin/admin), or takes it from there for Grafana's first start", () => {
    expect(service('grafana').environment?.GF_SECURITY_ADMIN_PASSWORD).toBe('admin');
    expect(service('grafana', { ...secrets, GRAFANA_ADMIN_PASSWORD: 'g-secret' }).environment?.GF_SECURITY_ADMIN_PASSWORD).toBe('g-secret');
    expect(service('grafana').environment).toMatchObject({ GF_USERS_ALLOW_SIGN_UP: 'false', GF_ANALYTICS_REPORTING_ENABLED: 'false' });
  });
});

describe('docker-compose.hwaccel.yml: the GPU override for the worker', () => {
  it('passes /dev/dri to the worker and changes nothing else', () => {
    expect(Object.keys(hwaccel)).toEqual(['services']);
    expect(Object.keys(hwaccel.services)).toEqual(['worker']);
    expect(Object.keys(hwaccel.services.worker ?? {}).sort()).toEqual(['devices', 'group_add']);
    expect(hwaccel.services.worker?.devices).toEqual(['/dev/dri:/dev/dri']);
  });

  it("adds the host's render and video groups by number, video defaulting to Debian's 44", () => {
    const worker = interpolate(hwaccel, { NEBULA_RENDER_GID: '109' }).services.worker;
    expect(worker?.group_add).toEqual(['109', '44']);
    const custom = interpolate(hwaccel, { NEBULA_RENDER_GID: '992', NEBULA_VIDEO_GID: '39' }).services.worker;
    expect(custom?.group_add).toEqual(['992', '39']);
  });

  it('says how to find the render group id when it is missing', () => {
    expect(() => interpolate(hwaccel, {})).toThrow(
      "required variable NEBULA_RENDER_GID is missing a value: set NEBULA_RENDER_GID in .env to the host's render group id (getent group render)",
    );
  });

  it('documents how to use it at the top of the file', () => {
    expect(repoFile('docker-compose.hwaccel.yml')).toContain(
      'docker compose -f docker-compose.yml -f docker-compose.hwaccel.yml up -d',
    );
  });

  it('leaves the base file free of /dev/dri, so a host without a GPU starts with it alone', () => {
    for (const s of Object.values(services())) {
      expect(s.devices).toBeUndefined();
      expect(s.group_add).toBeUndefined();
    }
  });
});

describe('the Dockerfiles that compose builds', () => {
  describe('the gateway image starts Node with the memory settings the embedded stack gives it for the same driver', () => {
    /** What server/bin/gateway.sh runs, through a stand-in for node: its arguments, then the MALLOC_* variables it set. */
    const started = (env: Env): string[] => {
      const bin = mkdtempSync(join(tmpdir(), 'nebula-gateway-sh-'));
      try {
        writeFileSync(join(bin, 'node'), `#!/bin/sh\nprintf '%s\\n' "$@"\nenv | grep '^MALLOC_' | sort\n`, { mode: 0o755 });
        const output = execFileSync('/bin/sh', ['server/bin/gateway.sh'], { cwd: repoRoot, env: { PATH: `${bin}:/usr/bin:/bin`, ...env }, encoding: 'utf8' });
        return output.trimEnd().split('\n');
      } finally {
        rmSync(bin, { recursive: true, force: true });
      }
    };
    const expected = (driver: string, env = gatewayMemory(driver).env) => [
      ...gatewayMemory(driver).flags,
      'server/dist/main.js',
      ...Object.entries(env)
        .map(([name, value]) => `${name}=${value}`)
        .sort(),
    ];

    for (const driver of ['fs', 's3']) {
      it(`with NEBULA_STORAGE_DRIVER=${driver}`, () => {
        expect(started({ NEBULA_STORAGE_DRIVER: driver })).toEqual(expected(driver));
      });
    }

    it('with no driver set: fs, the default', () => {
      expect(started({})).toEqual(expected('fs'));
    });

    it('except where the container sets a MALLOC_* variable itself', () => {
      const env = { ...gatewayMemory('s3').env, MALLOC_TRIM_THRESHOLD_: '1048576' };
      expect(started({ NEBULA_STORAGE_DRIVER: 's3', MALLOC_TRIM_THRESHOLD_: '1048576' })).toEqual(expected('s3', env));
    });

    it('and the fs and s3 settings differ, as the script tells them apart', () => {
      expect(gatewayMemory('s3')).not.toEqual(gatewayMemory('fs'));
    });

    it('through that script, copied into the image', () => {
      expect(repoFile('server/Dockerfile')).toMatch(/^COPY server\/bin\/gateway\.sh server\/bin\/gateway\.sh$/m);
    });
  });

  const images = [
    { dockerfile: 'server/Dockerfile', cmd: ['/bin/sh', 'server/bin/gateway.sh'] },
    { dockerfile: 'worker/Dockerfile', cmd: ['node', 'worker/dist/main.js'] },
  ];

  for (const { dockerfile, cmd } of images) {
    it(`${dockerfile} runs ${cmd.at(-1)} as the unprivileged node user under tini`, () => {
      const text = repoFile(dockerfile);
      expect(text).toContain('ARG NODE_IMAGE=node:24-bookworm-slim\n');
      expect(text.match(/^USER .*$/gm)).toEqual(['USER node']);
      expect(text).toMatch(/^WORKDIR \/app$/m);
      // The production condition for every node in the container (CMD, health check, `compose exec`).
      expect(text).toMatch(/^ENV NODE_ENV=production \\\n {4}NODE_OPTIONS=--conditions=production$/m);
      expect(text).toMatch(/^STOPSIGNAL SIGTERM$/m);
      expect(text).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
      expect(text.match(/^CMD .*$/gm)).toEqual([`CMD ${JSON.stringify(cmd).replaceAll(',', ', ')}`]);
    });
  }

  it('gives the worker ffmpeg with the VA-API and QuickSync drivers', () => {
    const text = repoFile('worker/Dockerfile');
    expect(text).toContain('packages="ffmpeg vainfo mesa-va-drivers tini"');
    expect(text).toContain(
      'packages="$packages intel-media-va-driver-non-free i965-va-driver-shaders libmfx1 libmfx-gen1.2"',
    );
  });

  it('copies every workspace manifest before `npm ci`, in both stages, and the contract\'s build into the image', () => {
    // npm ci refuses a lock file whose workspaces are missing; the runtime stage runs it again.
    const workspaces = (JSON.parse(repoFile('package.json')) as { workspaces: string[] }).workspaces;
    for (const { dockerfile } of images) {
      const text = repoFile(dockerfile);
      for (const workspace of workspaces) expect(text.match(new RegExp(`^COPY ${workspace}/package.json ${workspace}/$`, 'gm')), `${dockerfile}: ${workspace}`).toHaveLength(2);
      expect(text).toMatch(/^COPY --from=build \/app\/contract\/dist contract\/dist$/m);
    }
  });

  it('keeps server state and secrets out of the build context', () => {
    const ignored = repoFile('.dockerignore').split('\n').filter((line) => line && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['data', '.env', '.env.*', '.git', '**/node_modules', '**/dist']));
  });
});

describe('tailnet access in compose (the guard itself: ops/test/tailnet.test.ts)', () => {
  it('lets in the tailnet, loopback and its own compose network, and trusts loopback and that network as proxies', () => {
    // Docker's port publishing hands `tailscale serve` on the host (and the deploy hook's health
    // check) to the container from the compose network's gateway, not from 127.0.0.1; the network
    // has a fixed subnet so that exactly it is trusted, not all of Docker's address pools.
    expect((base as ComposeFile & { networks?: unknown }).networks).toEqual({ default: { ipam: { config: [{ subnet: '172.30.57.0/24' }] } } });
    const env = service('gateway').environment!;
    expect(env.NEBULA_ALLOWED_CIDRS).toBe('100.64.0.0/10,fd7a:115c:a1e0::/48,127.0.0.0/8,::1/128,172.30.57.0/24');
    expect(env.NEBULA_TRUSTED_PROXIES).toBe('127.0.0.0/8,::1/128,172.30.57.0/24');
    const narrowed = service('gateway', { ...secrets, NEBULA_ALLOWED_CIDRS: '100.64.0.0/10,127.0.0.1/32', NEBULA_TRUSTED_PROXIES: '172.18.0.1' }).environment!;
    expect([narrowed.NEBULA_ALLOWED_CIDRS, narrowed.NEBULA_TRUSTED_PROXIES]).toEqual(['100.64.0.0/10,127.0.0.1/32', '172.18.0.1']);
  });

  it("mounts the host's tailscaled socket folder read-only, and asks whois only when .env says where the socket is", () => {
    expect(service('gateway').environment?.NEBULA_TAILSCALE_SOCKET).toBe('');
    const withWhois = service('gateway', { ...secrets, NEBULA_TAILSCALE_DIR: '/var/run/tailscale', NEBULA_TAILSCALE_SOCKET: '/var/run/tailscale/tailscaled.sock' });
    expect(withWhois.volumes).toContain('/var/run/tailscale:/var/run/tailscale:ro');
    expect(withWhois.environment?.NEBULA_TAILSCALE_SOCKET).toBe('/var/run/tailscale/tailscaled.sock');
  });

  describe('docker-compose.tailscale.yml: the sidecar layout for hosts without tailscaled', () => {
    // Compose's `!reset` tag (drop what the base file set); YAML leaves unknown tags to the reader.
    const RESET = Symbol('!reset');
    const sidecar = parse(repoFile('docker-compose.tailscale.yml'), {
      merge: true,
      customTags: [{ tag: '!reset', collection: 'seq', resolve: () => RESET }],
    }) as ComposeFile & { configs: Record<string, { content: string }> };
    const withEnv = interpolate(sidecar, { ...secrets, TS_AUTHKEY: 'tskey-auth-test' });
    type SidecarService = Service & { networks?: Record<string, { aliases: string[] }>; configs?: { source: string; target: string }[]; cap_add?: string[] };
    const tailscale = withEnv.services.tailscale as SidecarService;
    const gateway = withEnv.services.gateway!;

    it("puts the gateway in the tailscale container's network, publishing nothing itself", () => {
      expect(gateway.network_mode).toBe('service:tailscale');
      expect(gateway.ports).toBe(RESET);
      // The edge publishes nothing either: the tailscale container has the port.
      expect(withEnv.services.edge!.ports).toBe(RESET);
      // The host still reaches it on loopback (deploy health check, CLI), through the tailscale container.
      expect(tailscale.ports).toEqual(['127.0.0.1:8080:8080']);
      expect(tailscale.networks).toEqual({ default: { aliases: ['gateway'] } });
    });

    it("runs `tailscale serve` in the sidecar, proxying HTTPS to the gateway's port on loopback", () => {
      expect(tailscale.image).toMatch(/^tailscale\/tailscale:/);
      expect(tailscale.environment).toMatchObject({ TS_AUTHKEY: 'tskey-auth-test', TS_AUTH_ONCE: 'true', TS_SERVE_CONFIG: '/config/serve.json' });
      expect(tailscale.configs).toEqual([{ source: 'tailscale-serve', target: '/config/serve.json' }]);
      const serve = JSON.parse(withEnv.configs['tailscale-serve']!.content) as unknown;
      expect(serve).toEqual({ TCP: { '443': { HTTPS: true } }, Web: { '${TS_CERT_DOMAIN}:443': { Handlers: { '/': { Proxy: 'http://127.0.0.1:8080' } } } } });
      expect(service('gateway').environment?.NEBULA_PORT).toBe('8080');
    });

    it('runs tailscaled with kernel networking, so a peer connecting to a port directly arrives from its 100.x address, not loopback', () => {
      // In userspace mode tailscaled forwards a tailnet connection to an unserved port to
      // 127.0.0.1:<port>: a direct peer on :8080 would look like the trusted proxy and could send
      // its own Tailscale-User-* headers.
      expect(tailscale.environment?.TS_USERSPACE).toBe('false');
      expect(tailscale.devices).toEqual(['/dev/net/tun:/dev/net/tun']);
      expect(tailscale.cap_add).toEqual(['NET_ADMIN']);
      const header = repoFile('docker-compose.tailscale.yml').split('\nservices:')[0]!;
      expect(header).not.toMatch(/only through `tailscale serve`/);
      expect(header).toContain('COMPOSE_FILE=docker-compose.yml:docker-compose.tailscale.yml');
    });

    it('still lets Prometheus scrape the gateway as gateway:9464 over the compose network, and publishes no metrics port', () => {
      expect(tailscale.networks?.default?.aliases).toContain('gateway');
      for (const port of tailscale.ports ?? []) expect(port).not.toMatch(/9464/);
    });

    it("shares tailscaled's socket with the gateway for whois, replacing the base file's mount", () => {
      expect(gateway.environment).toEqual({ NEBULA_TAILSCALE_SOCKET: '/var/run/tailscale/tailscaled.sock' });
      expect(gateway.volumes).toEqual(['tailscale_socket:/var/run/tailscale:ro']);
      expect(tailscale.volumes).toContain('tailscale_socket:/var/run/tailscale');
      // Compose merges volume lists by container path: same target as the base file's socket mount.
      expect(service('gateway').volumes).toContain('./data/tailscale:/var/run/tailscale:ro');
      expect(gateway.depends_on).toEqual({ tailscale: { condition: 'service_started' } });
    });
  });
});
