// The production shape for real: a Docker engine (started by ops/compose-ci/engine.ts when none
// runs), the stand-in upstream images (ops/compose-ci, `npm run compose:standins`: no registry can be
// reached here), the project's own images built by `docker compose build` from its Dockerfiles, the
// CLI from the host against the published port, and `git push` deploys through hooks/.
// `npm run test:compose` runs this file alone; `npm test` runs it in the `compose` project.
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { byEvent, cliHome, killHard, runCli, sha256Of, spawnCli, type CliEnvironment, type CliEvent } from '../../cli/test/cli-process';
import { freePort } from '../embedded/processes';
import { gatewayMemory } from '../embedded/supervisor';
import { makeRandomFile } from '../test-support/random-file';

const skip = inject('composeSkip');
if (skip) console.log(`compose suite skipped: ${skip}`);

const repoRoot = join(import.meta.dirname, '..', '..');
const PROJECT = 'nebula-e2e';
const MiB = 1024 * 1024;
const HEALTH_TIMEOUT_S = 90;
/** The wait of the one push whose gateway is never healthy. */
const NEVER_HEALTHY_TIMEOUT_S = 30;

interface Ran {
  code: number | null;
  output: string;
}

/** A program to completion, its stdout and stderr together; never rejects. */
function sh(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (error) => resolve({ code: -1, output: String(error) }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function must(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const ran = await sh(command, args, options);
  if (ran.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${ran.code}):\n${ran.output.slice(-4000)}`);
  return ran.output;
}

/**
 * GET /api/version on the published port every 0.2 s while a step runs: what a user's next request
 * would meet. A try fails when the edge or the gateway refuses it, answers with an error, or takes
 * more than 5 s (the edge's own health check's limit; a 2-core machine busy building images answers
 * slowly, which is not downtime). The failed tries, times 0.2 s, are the downtime a user would have
 * seen; `commits` is which release answered, in order, each change once.
 */
class Probe {
  tries = 0;
  failed = 0;
  slowestMs = 0;
  readonly failures: string[] = [];
  readonly commits: (string | null)[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(url: string, maxMs = 20 * 60_000) {
    const until = Date.now() + maxMs;
    this.loop = (async () => {
      while (this.running && Date.now() < until) {
        const started = Date.now();
        const failure = await fetch(url, { signal: AbortSignal.timeout(5000) }).then(
          async (r) => {
            if (!r.ok) return `HTTP ${r.status}: ${(await r.text()).slice(0, 200)}`;
            const { commit } = (await r.json()) as { commit: string | null };
            if (this.commits.length === 0 || this.commits.at(-1) !== commit) this.commits.push(commit);
            return null;
          },
          (error: Error) => `${error.name}: ${error.message}${error.cause ? ` (${String(error.cause)})` : ''}`,
        );
        this.slowestMs = Math.max(this.slowestMs, Date.now() - started);
        this.tries++;
        if (failure) {
          this.failed++;
          if (this.failures.length < 10) this.failures.push(`${new Date().toISOString()} ${failure}`);
        }
        await new Promise((r) => setTimeout(r, Math.max(0, 200 - (Date.now() - started))));
      }
    })();
  }

  async stop(): Promise<{ tries: number; failed: number; downtimeS: number; slowestMs: number; failures: string[]; commits: (string | null)[] }> {
    this.running = false;
    await this.loop;
    return { tries: this.tries, failed: this.failed, downtimeS: Number((this.failed * 0.2).toFixed(1)), slowestMs: this.slowestMs, failures: this.failures, commits: this.commits };
  }
}

/** The figures the suite measured, printed at the end and kept in test-results/compose-figures.json. */
const figures: Record<string, unknown> = {};
function note(name: string, value: unknown): void {
  figures[name] = value;
  console.log(`compose figure: ${name} = ${JSON.stringify(value)}`);
}

/** The host's extra CA certificates (a TLS-intercepting proxy), for npm in the image builds. */
async function extraCaBundle(dir: string): Promise<string | null> {
  const caDir = '/usr/local/share/ca-certificates';
  const files = (await readdir(caDir).catch(() => [] as string[])).filter((f) => f.endsWith('.crt'));
  if (files.length === 0) return null;
  const bundle = join(dir, 'extra-ca.pem');
  writeFileSync(bundle, files.map((f) => readFileSync(join(caDir, f), 'utf8')).join('\n'));
  return bundle;
}

describe.skipIf(skip !== '')('Docker Compose for real', () => {
  let root: string;
  let checkout: string;
  let port: number;
  let env: NodeJS.ProcessEnv;
  let cli: CliEnvironment;
  let compose: (...args: string[]) => Promise<string>;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'nebula-compose-'));
    checkout = join(root, 'laptop');
    await mkdir(checkout);
    // The checkout as it is now (committed or not), without what git ignores: what a user has.
    const files = await must('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: repoRoot });
    const list = join(root, 'files');
    writeFileSync(list, files);
    await must('sh', ['-c', `tar --null -T "$1" -c | tar -x -C "$2"`, 'sh', list, checkout], { cwd: repoRoot });
    port = await freePort();
    const bundle = await extraCaBundle(root);
    const dotenv = [
      'POSTGRES_PASSWORD=e2e-postgres-secret',
      'MINIO_ROOT_USER=nebula',
      'MINIO_ROOT_PASSWORD=e2e-minio-secret',
      `NEBULA_PORT=${port}`,
      bundle ? `NEBULA_EXTRA_CA_CERTS=${bundle}` : '',
    ].join('\n');
    writeFileSync(join(checkout, '.env'), `${dotenv}\n`);
    env = { ...process.env, NEBULA_STATE_DIR: join(root, 'state') };
    for (const key of Object.keys(env)) if (key.startsWith('COMPOSE_')) delete env[key];
    compose = (...args) => must('docker', ['compose', '-p', PROJECT, ...args], { cwd: checkout, env });
    cli = { server: `http://127.0.0.1:${port}`, home: await cliHome() };
    // A run that was cut off may have left the project up.
    await sh('docker', ['compose', '-p', PROJECT, 'down', '--remove-orphans'], { cwd: checkout, env });
  });

  afterAll(async () => {
    if (!root) return;
    await sh('docker', ['compose', '-p', PROJECT, 'down', '--remove-orphans', '--timeout', '5'], { cwd: checkout, env });
    await sh('docker', ['rm', '-f', `${PROJECT}-gateway-trial`]);
    // Postgres and RGW wrote their state as other users: root removes it.
    await rm(root, { recursive: true, force: true });
    await rm(cli.home, { recursive: true, force: true });
    await mkdir(join(repoRoot, 'test-results'), { recursive: true });
    writeFileSync(join(repoRoot, 'test-results', 'compose-figures.json'), `${JSON.stringify(figures, null, 2)}\n`);
    console.log(`compose figures:\n${JSON.stringify(figures, null, 2)}`);
  });

  describe('docker compose build and up --wait', () => {
    it('builds the project images with its own Dockerfiles and brings every service up healthy', { timeout: 20 * 60_000 }, async () => {
      let started = Date.now();
      await compose('--progress', 'plain', 'build');
      note('build s (both images; cold on a fresh engine, else cached)', Math.round((Date.now() - started) / 1000));
      started = Date.now();
      await compose('build', '--quiet');
      note('build s (warm, nothing changed)', Math.round((Date.now() - started) / 1000));
      started = Date.now();
      await compose('up', '-d', '--wait', '--wait-timeout', '300');
      note('up --wait s', Math.round((Date.now() - started) / 1000));

      const states = JSON.parse(`[${(await compose('ps', '--format', 'json')).trim().split('\n').join(',')}]`) as { Service: string; Health: string; State: string }[];
      expect(Object.fromEntries(states.map((s) => [s.Service, s.Health]))).toEqual({ edge: 'healthy', gateway: 'healthy', worker: 'healthy', postgres: 'healthy', redis: 'healthy', minio: 'healthy' });
      // The production condition is set once in the images: any node run in them finds @nebula/shared's dist/.
      expect(await compose('exec', '-T', 'worker', 'node', '-e', "console.log(typeof require('@nebula/shared').loadConfig)")).toBe('function\n');
      // The gateway's Node runs with the s3 driver's memory settings (server/bin/gateway.sh): its
      // arguments and the MALLOC_* variables of its environment, read from /proc in the container.
      const gatewayNode = `
        const { readdirSync, readFileSync } = require('node:fs');
        const read = (pid, file) => readFileSync('/proc/' + pid + '/' + file, 'utf8').split('\\0');
        const pid = readdirSync('/proc').find((p) => /^[0-9]+$/.test(p) && read(p, 'cmdline').includes('server/dist/main.js'));
        console.log(JSON.stringify({ args: read(pid, 'cmdline').slice(1, -1), env: read(pid, 'environ').filter((v) => v.startsWith('MALLOC_')).sort() }));`;
      const memory = gatewayMemory('s3');
      expect(JSON.parse(await compose('exec', '-T', 'gateway', 'node', '-e', gatewayNode))).toEqual({
        args: [...memory.flags, 'server/dist/main.js'],
        env: Object.entries(memory.env)
          .map(([name, value]) => `${name}=${value}`)
          .sort(),
      });
      // No GPU here: the worker says so instead of probing VAAPI and QSV.
      const health = (await (await fetch(`${cli.server}/api/health`)).json()) as { checks: { hwaccel: { detail: string } } };
      expect(health.checks.hwaccel.detail).toMatch(/^render node \/dev\/dri\/renderD128 \(NEBULA_HW_DEVICE\) does not exist/);
      expect(await compose('logs', 'worker')).not.toMatch(/vaapi|qsv/i);
    });

    it('takes a 200 MB upload from the CLI on the host, killed once with SIGKILL and resumed, and gives it back byte-exact', { timeout: 15 * 60_000 }, async () => {
      const big = join(root, 'big.bin');
      const sha256 = await makeRandomFile(big, 200 * MiB);
      const first = spawnCli(cli, ['upload', big, '--to', '/films']);
      await first.waitFor((event) => event.event === 'progress' && (event.bytes as number) > 16 * MiB);
      await killHard(first.child);
      expect(first.events.find(byEvent('done'))).toBeUndefined();

      const second = await runCli(cli, ['upload', big, '--to', '/films']);
      expect(second.stderr).toBe('');
      expect(second.code).toBe(0);
      const resumed = second.events.find(byEvent('resumed')) as CliEvent & { offset: number };
      expect(resumed.offset).toBeGreaterThan(0);
      expect(second.events.find(byEvent('done'))).toMatchObject({ path: '/films/big.bin', sha256, sent: 200 * MiB - resumed.offset });

      const out = join(root, 'big.back');
      const down = await runCli(cli, ['get', '/films/big.bin', '-o', out]);
      expect(down.code, down.stderr).toBe(0);
      expect(await sha256Of(out)).toBe(sha256);
    });

    it('transcodes a short video in the worker container, and its HLS plays over HTTP', { timeout: 10 * 60_000 }, async () => {
      const clip = join(root, 'clip.mp4');
      await must('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=3', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip]);
      const up = await runCli(cli, ['upload', clip, '--to', '/clips']);
      expect(up.code, up.stderr).toBe(0);
      const watched = await runCli(cli, ['status', '/clips/clip.mp4', '--watch']);
      expect(watched.code, watched.stderr).toBe(0);
      expect(watched.events.filter(byEvent('job')).at(-1)).toMatchObject({ status: 'ready' });
      const played = await runCli(cli, ['play', '/clips/clip.mp4']);
      const hls = played.events[0]!.hls as string;
      const probed = JSON.parse(await must('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', hls])) as { streams: { codec_type: string; codec_name: string }[] };
      expect(probed.streams).toEqual(expect.arrayContaining([expect.objectContaining({ codec_type: 'video', codec_name: 'h264' }), expect.objectContaining({ codec_type: 'audio' })]));
    });

    it('ops/backup --compose backs the stack up with the one backup tool, and ops/restore --compose puts it back', { timeout: 10 * 60_000 }, async () => {
      const opsEnv = { ...env, COMPOSE_PROJECT_NAME: PROJECT };
      const ops = (command: 'backup' | 'restore', ...args: string[]) => sh(join(checkout, 'ops', command), ['--compose', ...args], { cwd: checkout, env: opsEnv });
      const notes = join(root, 'notes.txt');
      writeFileSync(notes, 'kept by the backup\n');
      expect((await runCli(cli, ['upload', notes, '--to', '/backed-up'])).code).toBe(0);

      const dest = join(root, 'backups');
      let started = Date.now();
      const made = await ops('backup', dest);
      note('ops/backup --compose s', Math.round((Date.now() - started) / 1000));
      expect(made.code, made.output).toBe(0);
      const [name] = await readdir(dest);
      const backupDir = join(dest, name!);
      expect(made.output).toContain(`backup written to ${backupDir}`);
      const manifest = JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8'));
      // The same format as the embedded stack's: a backup of either restores into either.
      expect(manifest).toMatchObject({ source: 'compose', database: { file: 'database.jsonl.gz', format: 'nebula-jsonl' }, objects: { dir: 'objects' } });
      expect(manifest.database.tables.entries).toBeGreaterThanOrEqual(2);

      const later = join(root, 'later.txt');
      writeFileSync(later, 'uploaded after the backup\n');
      expect((await runCli(cli, ['upload', later, '--to', '/backed-up'])).code).toBe(0);
      const refused = await ops('restore', backupDir);
      expect(refused.code).toBe(1);
      expect(refused.output).toContain('ops/restore: the object storage is not empty: restore into an empty Nebula, or pass --force to replace what it holds');
      // Refused by the checks alone: the gateway was never stopped.
      expect(refused.output).not.toContain('stopping the gateway');

      started = Date.now();
      const restored = await ops('restore', '--force', backupDir);
      note('ops/restore --compose --force s', Math.round((Date.now() - started) / 1000));
      expect(restored.code, restored.output).toBe(0);
      expect(restored.output).toContain('starting the gateway and the worker again');
      await compose('up', '-d', '--wait', '--wait-timeout', '120');
      const back = join(root, 'notes.back');
      const got = await runCli(cli, ['get', '/backed-up/notes.txt', '-o', back]);
      expect(got.code, got.stderr).toBe(0);
      expect(readFileSync(back, 'utf8')).toBe('kept by the backup\n');
      expect((await runCli(cli, ['get', '/backed-up/later.txt', '-o', join(root, 'later.back')])).code).not.toBe(0);
    });

    it('stops', { timeout: 5 * 60_000 }, async () => {
      await compose('down', '--remove-orphans');
    });
  });

  describe('git push deploys through hooks/', () => {
    let home: string;
    let hookEnv: NodeJS.ProcessEnv;
    let runtime: string;
    const health = () => `http://127.0.0.1:${port}/api/health`;
    const version = () => `http://127.0.0.1:${port}/api/version`;
    const serving = async () => ((await (await fetch(version())).json()) as { commit: string | null }).commit;
    const git = (...args: string[]) => must('git', args, { cwd: checkout, env: hookEnv });
    const serviceIds = async () => {
      const ids: Record<string, string> = {};
      for (const service of ['postgres', 'redis', 'minio', 'edge', 'gateway', 'worker']) {
        ids[service] = (await must('docker', ['compose', '-p', PROJECT, 'ps', '-q', service], { cwd: checkout, env })).trim();
      }
      return ids;
    };
    /** A commit changing `files`, then `nebula deploy`, with the probe running throughout. */
    async function push(kind: string, message: string, files: Record<string, (text: string) => string>) {
      for (const [file, change] of Object.entries(files)) writeFileSync(join(checkout, file), change(readFileSync(join(checkout, file), 'utf8')));
      await git('commit', '-qam', message);
      const before = await serving();
      const probe = new Probe(version());
      const started = Date.now();
      const result = await runCli({ ...cli }, ['deploy', '--remote', 'server'], { cwd: checkout, env: { HOME: home } });
      const seconds = Math.round((Date.now() - started) / 1000);
      const downtime = await probe.stop();
      const remote = result.events.filter((e) => e.event === 'output' && e.remote).map((e) => (e.line as string).replace(/^remote: ?/, '').trimEnd());
      // The hook's last word: the deploy record as JSON.
      const record = JSON.parse(remote.at(-1)!) as { result: string; reason?: string; durationMs: number; commit: string };
      note(`push: ${kind}`, { result: record.result, reason: record.reason, pushToResultS: seconds, failedProbes: downtime.failed, downtimeS: downtime.downtimeS, probes: downtime.tries, slowestProbeMs: downtime.slowestMs });
      return { result, remote, record, downtime, before };
    }

    beforeAll(async () => {
      home = join(root, 'server-home');
      await mkdir(home);
      hookEnv = { ...env, HOME: home, GIT_AUTHOR_NAME: 'Owner', GIT_AUTHOR_EMAIL: 'owner@example.test', GIT_COMMITTER_NAME: 'Owner', GIT_COMMITTER_EMAIL: 'owner@example.test' };
      delete hookEnv.NEBULA_STATE_DIR;
      await must('bash', [join(checkout, 'hooks', 'install.sh')], { cwd: home, env: hookEnv });
      runtime = join(home, 'nebula');
      appendFileSync(join(runtime, 'deploy.env'), `NEBULA_PROJECT=${PROJECT}\nNEBULA_HEALTH_TIMEOUT=${HEALTH_TIMEOUT_S}\n`);
      // The owner's settings, before the first push (else it would start from .env.example).
      writeFileSync(join(runtime, 'shared', '.env'), readFileSync(join(checkout, '.env')));
      await git('init', '-q', '-b', 'main');
      await git('config', 'user.name', 'Owner');
      await git('config', 'user.email', 'owner@example.test');
      await git('add', '-A');
      await git('commit', '-qm', 'Nebula as it is');
      await git('remote', 'add', 'server', join(home, 'nebula.git'));
    });

    it('a first push deploys', { timeout: 20 * 60_000 }, async () => {
      await git('commit', '-q', '--allow-empty', '-m', 'first deploy');
      const probe = new Probe(version());
      const started = Date.now();
      const result = await runCli(cli, ['deploy', '--remote', 'server'], { cwd: checkout, env: { HOME: home } });
      await probe.stop();
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.events.find(byEvent('deployed'))).toBeDefined();
      note('push: first deploy, push -> healthy s', Math.round((Date.now() - started) / 1000));
      expect((await fetch(health())).status).toBe(200);
    });

    it('a one-line change deploys, recreating only the gateway and the worker, with the build quiet in the pusher’s terminal', { timeout: 20 * 60_000 }, async () => {
      const idsBefore = await serviceIds();
      const { result, remote, record, downtime, before } = await push('one-line change', 'say hello in the log', {
        'server/src/main.ts': (text) => `${text}// deployed by the compose suite\n`,
      });
      expect(result.code, remote.join('\n')).toBe(0);
      expect(record.result).toBe('success');
      const after = await serviceIds();
      expect({ postgres: after.postgres, redis: after.redis, minio: after.minio, edge: after.edge }).toEqual({ postgres: idsBefore.postgres, redis: idsBefore.redis, minio: idsBefore.minio, edge: idsBefore.edge });
      expect(after.gateway).not.toBe(idsBefore.gateway);
      // BuildKit's progress stays in the deploy log.
      expect(remote.filter((line) => /^#\d+ /.test(line) || line === '')).toEqual([]);
      // Every request was answered: by the old release, then by the new one, never back.
      expect(downtime.tries).toBeGreaterThan(0);
      expect(downtime.failed, downtime.failures.join('\n')).toBe(0);
      expect(downtime.commits).toEqual([before, record.commit]);
    });

    it('a push whose build fails rolls back, and the site stays up', { timeout: 20 * 60_000 }, async () => {
      // A syntax error: the images compile with SWC, which strips types without checking them.
      const { result, record, remote, downtime, before } = await push('build fails', 'a syntax error', { 'server/src/main.ts': (text) => `${text}export const broken = ;\n` });
      expect(result.code).not.toBe(0);
      expect(record.result, remote.join('\n')).toBe('rolled_back');
      expect(record.reason).toMatch(/^docker compose build failed \(exit \d+\)$/);
      expect(remote).toContain('the build failed; its last lines:');
      expect(downtime.failed, downtime.failures.join('\n')).toBe(0);
      expect(downtime.commits).toEqual([before]);
      await git('revert', '--no-edit', 'HEAD');
    });

    it('a push whose gateway exits at start is stopped at once, with its exit code and last log lines', { timeout: 20 * 60_000 }, async () => {
      const { result, record, remote, downtime, before } = await push('gateway exits at start', 'exit at start', {
        'server/src/main.ts': (text) => `console.error('refusing to start on purpose');\nprocess.exit(3);\n${text}`,
      });
      expect(result.code).not.toBe(0);
      expect(record, remote.join('\n')).toMatchObject({ result: 'rolled_back', reason: 'the new gateway exited with code 3 at start' });
      expect(downtime.failed, downtime.failures.join('\n')).toBe(0);
      expect(downtime.commits).toEqual([before]);
      expect(remote.some((line) => line.includes('| refusing to start on purpose'))).toBe(true);
      await git('revert', '--no-edit', 'HEAD');
    });

    it('a push whose gateway never gets healthy leaves the old release serving the whole time', { timeout: 20 * 60_000 }, async () => {
      // Nothing will pass here, so this push alone waits less (the hook reads deploy.env at each
      // push): a minute of the suite, spent waiting out a timeout, saved.
      const settings = join(runtime, 'deploy.env');
      const saved = readFileSync(settings, 'utf8');
      appendFileSync(settings, `NEBULA_HEALTH_TIMEOUT=${NEVER_HEALTHY_TIMEOUT_S}\n`);
      try {
        const { result, record, remote, downtime, before } = await push('gateway never healthy', 'listen where the health check does not look', {
          'docker-compose.yml': (text) => text.replace('NEBULA_PORT: "8080"', 'NEBULA_PORT: "8081"'),
        });
        expect(result.code).not.toBe(0);
        expect(record, remote.join('\n')).toMatchObject({ result: 'rolled_back', reason: `the new gateway did not pass its health check within ${NEVER_HEALTHY_TIMEOUT_S} s` });
        expect(downtime.failed, downtime.failures.join('\n')).toBe(0);
        expect(downtime.commits).toEqual([before]);
      } finally {
        writeFileSync(settings, saved);
      }
      await git('revert', '--no-edit', 'HEAD');
    });

    it('nebula rollback redeploys the release before the current one', { timeout: 20 * 60_000 }, async () => {
      const current = await serving();
      const probe = new Probe(version());
      const started = Date.now();
      const result = await runCli(cli, ['rollback', '--remote', 'server'], { cwd: checkout, env: { HOME: home } });
      const seconds = Math.round((Date.now() - started) / 1000);
      const downtime = await probe.stop();
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.events.find(byEvent('rolled_back'))).toBeDefined();
      note('rollback', { pushToResultS: seconds, failedProbes: downtime.failed, downtimeS: downtime.downtimeS, probes: downtime.tries, slowestProbeMs: downtime.slowestMs });
      expect((await fetch(health())).status).toBe(200);
      expect(downtime.failed, downtime.failures.join('\n')).toBe(0);
      expect(downtime.commits).toHaveLength(2);
      expect(downtime.commits[0]).toBe(current);
    });
  });
});
