// Push-to-deploy, end to end with real git: install.sh makes a bare repo in a temp HOME, a work
// repo pushes to it over a local path, and the real post-receive / pre-receive hooks run.
//
// No Docker engine runs here, so NEBULA_COMPOSE points at a TEST STAND-IN for `docker compose`
// (fixtures/fake-compose.sh): it records its calls and, on `up`, starts a tiny node server on
// 127.0.0.1 that plays the gateway's /api/health, or starts none when the release holds a file
// named BROKEN. Likewise fixtures/bin/tailscale stands in for the Tailscale CLI (no tailscaled).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeployRecord } from '@nebula/contract';

const hooksDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixturesDir = path.join(hooksDir, 'test', 'fixtures');
const HEALTH_TIMEOUT_S = 3;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ReturnType<typeof spawn>>();

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

async function git(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
  const r = await run('git', args, { cwd, env });
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout.trim();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}


/** One "server" (temp HOME with the bare repo and runtime folder) and one laptop work repo. */
class Stand {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'nebula-hooks-'));
  readonly home = path.join(this.root, 'home');
  readonly repo = path.join(this.home, 'nebula.git');
  readonly runtime = path.join(this.home, 'nebula');
  readonly state = path.join(this.root, 'compose-state');
  readonly work = path.join(this.root, 'laptop');
  readonly hold = path.join(this.root, 'hold-up');
  env: NodeJS.ProcessEnv = {};

  constructor(readonly port: number) {
    for (const dir of [this.home, this.state, this.work]) fs.mkdirSync(dir, { recursive: true });
    const base: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (!k.startsWith('NEBULA_') && !k.startsWith('GIT_')) base[k] = v;
    }
    this.env = {
      ...base,
      HOME: this.home,
      PATH: `${path.join(fixturesDir, 'bin')}:${process.env.PATH}`,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Owner',
      GIT_AUTHOR_EMAIL: 'owner@example.test',
      GIT_COMMITTER_NAME: 'Owner',
      GIT_COMMITTER_EMAIL: 'owner@example.test',
      NEBULA_COMPOSE: path.join(fixturesDir, 'fake-compose.sh'),
      NEBULA_DOCKER: path.join(fixturesDir, 'fake-docker.sh'),
      NEBULA_HEALTH_URL: `http://127.0.0.1:${port}/api/health`,
      NEBULA_HEALTH_TIMEOUT: String(HEALTH_TIMEOUT_S),
      FAKE_COMPOSE_STATE: this.state,
      FAKE_COMPOSE_PORT: String(port),
    };
  }

  install(): Promise<Result> {
    return run('bash', [path.join(hooksDir, 'install.sh')], { cwd: this.root, env: this.env });
  }

  async initLaptop(): Promise<void> {
    await git(this.work, this.env, 'init', '-q', '-b', 'main');
    await git(this.work, this.env, 'remote', 'add', 'server', this.repo);
  }

  /** Writes (or, with null, deletes) files in the laptop repo and commits them; returns the sha. */
  async commit(message: string, files: Record<string, string | null>): Promise<string> {
    for (const [name, content] of Object.entries(files)) {
      const file = path.join(this.work, name);
      if (content === null) fs.rmSync(file, { force: true });
      else {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, content);
      }
    }
    await git(this.work, this.env, 'add', '-A');
    await git(this.work, this.env, 'commit', '-q', '--allow-empty', '-m', message);
    return git(this.work, this.env, 'rev-parse', 'HEAD');
  }

  push(refspec = 'main', extraEnv: NodeJS.ProcessEnv = {}): Promise<Result> {
    return run('git', ['push', 'server', refspec], { cwd: this.work, env: { ...this.env, ...extraEnv } });
  }

  async serverRef(ref: string): Promise<string | null> {
    const r = await run('git', ['--git-dir', this.repo, 'rev-parse', '-q', '--verify', ref], { env: this.env });
    return r.code === 0 ? r.stdout.trim() : null;
  }

  records(): DeployRecord[] {
    const file = path.join(this.runtime, 'history', 'deploys.jsonl');
    if (!fs.existsSync(file)) return [];
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as DeployRecord);
  }

  current(): string | null {
    try {
      return path.basename(fs.readlinkSync(path.join(this.runtime, 'current')));
    } catch {
      return null;
    }
  }

  releases(): string[] {
    return fs.readdirSync(path.join(this.runtime, 'releases')).sort();
  }

  calls(): string[] {
    const file = path.join(this.state, 'calls.log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  }

  /** The release the stand-in gateway is serving, or null when nothing answers. */
  async running(): Promise<string | null> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.port}/api/health`);
      return res.ok ? ((await res.json()) as { release: string }).release : null;
    } catch {
      return null;
    }
  }

  stopGateway(): void {
    const pidFile = path.join(this.state, 'gateway.pid');
    if (!fs.existsSync(pidFile)) return;
    try {
      process.kill(Number(fs.readFileSync(pidFile, 'utf8')), 'SIGTERM');
    } catch {
      // already gone
    }
  }

  cleanup(): void {
    fs.rmSync(this.hold, { force: true });
    this.stopGateway();
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

const short = (sha: string) => sha.slice(0, 7);

/** The hooks' lines in `git push` output, without git's `remote: ` prefix and padding. */
const remoteLines = (stderr: string): string[] =>
  stderr
    .split('\n')
    .filter((line) => line.startsWith('remote: '))
    .map((line) => line.slice('remote: '.length).trimEnd());

const app = {
  'docker-compose.yml': 'name: nebula\nservices:\n  gateway:\n    build: .\n',
  '.env.example': 'SECRET=change-me\n',
  'app.js': 'console.log("hello")\n',
  'data/README.md': 'state lives here on the server, never in git\n',
};

describe('push-to-deploy (hooks/)', () => {
  let stand: Stand;
  let good: string; // the last commit known to run

  beforeAll(async () => {
    stand = new Stand(await freePort());
    await stand.initLaptop();
  });

  afterAll(() => {
    for (const child of children) child.kill('SIGTERM');
    stand?.cleanup();
  });

  it('install.sh creates the bare repo and runtime folder and prints the remote line', async () => {
    const r = await stand.install();
    expect(r.code, r.stderr).toBe(0);
    const user = os.userInfo().username;
    // The MagicDNS name comes from the tailscale stand-in's `status --json`.
    expect(r.stdout).toContain(`git remote add server ssh://${user}@homebox.tail1234.ts.net${stand.repo}`);
    expect(fs.readFileSync(path.join(stand.repo, 'HEAD'), 'utf8').trim()).toBe('ref: refs/heads/main');
    for (const hook of ['post-receive', 'pre-receive']) {
      fs.accessSync(path.join(stand.repo, 'hooks', hook), fs.constants.X_OK);
    }
    for (const dir of ['releases', 'history', 'shared', 'bin']) {
      expect(fs.statSync(path.join(stand.runtime, dir)).isDirectory()).toBe(true);
    }
  });

  it('a good push becomes current, is recorded, and never takes .env from git', async () => {
    good = await stand.commit('first release', { ...app, '.env': 'SECRET=from-git\n' });
    const r = await stand.push();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`remote: DEPLOYED ${short(good)} "first release" as releases/\\d{8}T\\d{6}Z-${short(good)}`));
    expect(r.stderr).toContain('remote: WARNING: this commit contains a .env file');

    const release = stand.current();
    expect(release).toMatch(new RegExp(`^\\d{8}T\\d{6}Z-${short(good)}$`));
    expect(await stand.serverRef('refs/heads/main')).toBe(good);
    expect(await stand.running()).toBe(release);

    // The release's .env is the shared one, created from .env.example on the first deploy.
    const releaseDir = path.join(stand.runtime, 'releases', release!);
    expect(fs.readlinkSync(path.join(releaseDir, '.env'))).toBe('../../shared/.env');
    expect(fs.readFileSync(path.join(releaseDir, '.env'), 'utf8')).toBe('SECRET=change-me\n');
    expect(fs.readFileSync(path.join(releaseDir, 'REVISION'), 'utf8').trim()).toBe(good);
    expect(fs.readlinkSync(path.join(releaseDir, 'data'))).toBe('../../shared/data');

    // build, then migrations, then up: all under the fixed project, in the release directory. A
    // first deploy has nothing serving, so no trial of the new gateway beside the old one.
    expect(stand.calls()).toEqual([
      `${release} build `,
      `${release} run --rm -T gateway node --conditions=production server/dist/migrate.js`,
      `${release} up -d --remove-orphans`,
      `${release} ps -q gateway`,
    ]);
    // The build's progress stays out of the pusher's terminal (it is in the deploy log).
    expect(r.stderr).not.toContain('(stand-in) building images');

    const records = stand.records();
    const first = records[0]!;
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      id: release,
      release,
      kind: 'push',
      commit: good,
      subject: 'first release',
      ref: 'refs/heads/main',
      result: 'success',
      log: `logs/${release}.log`,
      previousCommit: null,
    });
    expect(records[0]).not.toHaveProperty('reason');
    expect(Date.parse(first.finishedAt)).toBeGreaterThanOrEqual(Date.parse(first.startedAt));
    expect(first.durationMs).toBeGreaterThanOrEqual(0);

    // The hook's last word is the record itself, as JSON: what `nebula deploy` reads.
    expect(JSON.parse(remoteLines(r.stderr).at(-1)!)).toEqual(first);

    const log = fs.readFileSync(path.join(stand.runtime, 'history', first.log), 'utf8');
    for (const stepName of ['migrate', 'up', 'health']) expect(log).toContain(`] ${stepName}\n`);
    expect(log).toContain('(stand-in) building images');
    expect(log).toContain(`DEPLOYED ${short(good)}`);
  }, 30_000);

  it('keeps the owner’s shared .env across deploys, and escapes the subject in the record', async () => {
    fs.writeFileSync(path.join(stand.runtime, 'shared', '.env'), 'SECRET=owner-set\n');
    const subject = 'drop .env from git, "quote" \\ back\tslash';
    good = await stand.commit(subject, { '.env': null });
    const r = await stand.push();
    expect(r.stderr).toContain(`remote: DEPLOYED ${short(good)}`);
    expect(r.stderr).not.toContain('WARNING');
    const release = stand.current()!;
    expect(fs.readFileSync(path.join(stand.runtime, 'releases', release, '.env'), 'utf8')).toBe('SECRET=owner-set\n');
    const last = stand.records().at(-1)!;
    expect(last.subject).toBe(subject);
    expect(last.previousCommit).not.toBeNull();
    // The trial gateway took the traffic while the gateway service was replaced; then it went back.
    expect(fs.readFileSync(path.join(stand.runtime, 'shared', 'data', 'edge', 'upstream'), 'utf8')).toBe('gateway:8080\n');
    expect(r.stderr).toContain('remote: traffic -> nebula-gateway-trial:8080');
  }, 30_000);

  it('a push whose new gateway exits at start never replaces the running one, and the pusher sees why', async () => {
    const runningRelease = stand.current();
    const broken = await stand.commit('this one crashes at start', { BROKEN: 'yes\n' });
    const r = await stand.push();

    // post-receive cannot fail a push; the output says what happened, with the container's last lines.
    expect(r.stderr).toContain('remote: the new gateway exited with code 1 at start; its last log lines:');
    expect(r.stderr).toContain('remote:   | (stand-in) nebula-gateway-trial: Error: something in this release is broken');
    expect(r.stderr).toContain(`remote: DEPLOY FAILED: the new gateway exited with code 1 at start; rolled back to ${short(good)}`);
    expect(stand.current()).toBe(runningRelease);
    expect(await stand.serverRef('refs/heads/main')).toBe(good);
    expect(await stand.running()).toBe(runningRelease);

    const last = stand.records().at(-1)!;
    expect(last).toMatchObject({
      commit: broken,
      result: 'rolled_back',
      reason: 'the new gateway exited with code 1 at start',
      previousCommit: good,
    });
    expect(JSON.parse(remoteLines(r.stderr).at(-1)!)).toEqual(last);
    // The failed release is gone; its log stays.
    expect(stand.releases()).not.toContain(last.release);
    const log = fs.readFileSync(path.join(stand.runtime, 'history', last.log), 'utf8');
    expect(log).toContain(`rollback: bringing releases/${runningRelease}`);
    expect(log).toContain('DEPLOY FAILED');
    // The broken release never ran `up`: it was tried beside the running one, which was left alone,
    // and then the previous release was built and brought up again (a no-op for unchanged containers).
    const calls = stand.calls().filter((line) => line.startsWith(last.release));
    expect(calls.map((line) => line.split(' ')[1])).toEqual(['build', 'run', 'ps', 'run']);
    expect(stand.calls().slice(-2)).toEqual([`${runningRelease} build `, `${runningRelease} up -d --wait --wait-timeout ${HEALTH_TIMEOUT_S} --remove-orphans`]);
  }, 30_000);

  it('a push whose new gateway never gets healthy leaves the running release serving the whole time', async () => {
    const runningRelease = stand.current();
    const sick = await stand.commit('this one never passes its health check', { BROKEN: null, NEVER_HEALTHY: 'yes\n' });
    const served = new Set<string | null>();
    let pushing = true;
    const probe = (async () => {
      while (pushing) {
        served.add(await stand.running());
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const r = await stand.push();
    pushing = false;
    await probe;
    expect(r.stderr).toContain(`remote: DEPLOY FAILED: the new gateway did not pass its health check within ${HEALTH_TIMEOUT_S} s; rolled back to ${short(good)}`);
    expect([...served]).toEqual([runningRelease]);
    expect(stand.records().at(-1)).toMatchObject({ commit: sick, result: 'rolled_back' });
    good = await stand.commit('healthy again', { NEVER_HEALTHY: null });
    expect((await stand.push()).stderr).toContain(`remote: DEPLOYED ${short(good)}`);
  }, 30_000);

  it('a push to another branch is stored but deploys nothing', async () => {
    const before = { calls: stand.calls().length, records: stand.records().length, current: stand.current() };
    const head = await git(stand.work, stand.env, 'rev-parse', 'HEAD'); // the BROKEN commit
    const r = await stand.push('HEAD:refs/heads/feature');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`remote: stored refs/heads/feature at ${short(head)} (only refs/heads/main deploys)`);
    expect(await stand.serverRef('refs/heads/feature')).toBe(head);
    expect(stand.calls()).toHaveLength(before.calls);
    expect(stand.records()).toHaveLength(before.records);
    expect(stand.current()).toBe(before.current);
  }, 30_000);

  it('refuses to delete main', async () => {
    const r = await stand.push(':main');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('remote: refusing to delete main');
    expect(r.stderr).toContain('pre-receive hook declined');
    expect(await stand.serverRef('refs/heads/main')).toBe(good);
  }, 30_000);

  it('pushes that arrive during a deploy wait for it; a superseded one is skipped', async () => {
    const a = await stand.commit('A: fix health', { BROKEN: null });
    const b = await stand.commit('B', { 'b.txt': 'b\n' });
    const c = await stand.commit('C', { 'c.txt': 'c\n' });
    const hold = { FAKE_COMPOSE_HOLD: stand.hold };
    fs.writeFileSync(stand.hold, ''); // the stand-in's `up` waits while this file exists

    const pushA = stand.push(`${a}:refs/heads/main`, hold);
    await waitFor('deploy A to reach `up`', () => stand.calls().some((l) => l.includes(`-${short(a)} up `)));
    const pushB = stand.push(`${b}:refs/heads/main`, hold);
    await waitFor('push B to move main', async () => (await stand.serverRef('refs/heads/main')) === b);
    const pushC = stand.push(`${c}:refs/heads/main`, hold);
    await waitFor('push C to move main', async () => (await stand.serverRef('refs/heads/main')) === c);
    fs.rmSync(stand.hold);

    const [ra, rb, rc] = await Promise.all([pushA, pushB, pushC]);
    expect(ra.stderr).toContain(`remote: DEPLOYED ${short(a)}`);
    expect(rb.stderr).toContain('remote: another deploy is running; waiting for it to finish');
    expect(rb.stderr).toContain(`remote: main now points at ${short(c)} (pushed after this one); skipping ${short(b)}`);
    expect(rc.stderr).toContain('remote: another deploy is running; waiting for it to finish');
    expect(rc.stderr).toContain(`remote: DEPLOYED ${short(c)}`);

    good = c;
    expect(stand.current()).toMatch(new RegExp(`-${short(c)}$`));
    expect(await stand.serverRef('refs/heads/main')).toBe(c);
    const tail = stand.records().slice(-2);
    expect(tail.map((rec) => [rec.commit, rec.result])).toEqual([
      [a, 'success'],
      [c, 'success'],
    ]);
    expect(tail[1]!.previousCommit).toBe(a);
    expect(stand.records().some((rec) => rec.commit === b)).toBe(false);
    // A finished before C started: deploys never overlap.
    expect(Date.parse(tail[1]!.startedAt)).toBeGreaterThanOrEqual(Date.parse(tail[0]!.finishedAt));
  }, 40_000);

  it('keeps only the last 5 releases', async () => {
    const pushed: string[] = [];
    for (let i = 1; i <= 7; i++) {
      const sha = await stand.commit(`release ${i}`, { 'counter.txt': `${i}\n` });
      const r = await stand.push();
      expect(r.stderr).toContain(`remote: DEPLOYED ${short(sha)}`);
      pushed.push(sha);
    }
    good = pushed.at(-1)!;
    const releases = stand.releases();
    expect(releases).toHaveLength(5);
    expect(releases.map((name) => name.slice(-7))).toEqual(pushed.slice(-5).map(short));
    expect(stand.current()).toBe(releases.at(-1));
  }, 40_000);

  it('rollback.sh redeploys the previous kept release, then any kept one by sha', async () => {
    const rollback = path.join(stand.runtime, 'bin', 'rollback.sh');
    const [before, latest] = stand.releases().slice(-2);
    const beforeSha = fs.readFileSync(path.join(stand.runtime, 'releases', before!, 'REVISION'), 'utf8').trim();

    let r = await run(rollback, [], { env: stand.env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`ROLLED BACK to ${short(beforeSha)}`);
    expect(stand.current()).toBe(before);
    expect(await stand.serverRef('refs/heads/main')).toBe(beforeSha);
    expect(await stand.running()).toBe(before);
    expect(stand.records().at(-1)).toMatchObject({ kind: 'rollback', release: before, commit: beforeSha, result: 'success', previousCommit: good });

    r = await run(rollback, [short(good)], { env: stand.env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(stand.current()).toBe(latest);
    expect(await stand.serverRef('refs/heads/main')).toBe(good);

    r = await run(rollback, ['abcdef0'], { env: stand.env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no kept release of commit abcdef0');
  }, 30_000);

  it('install.sh run again keeps the data and updates the hooks', async () => {
    const records = fs.readFileSync(path.join(stand.runtime, 'history', 'deploys.jsonl'), 'utf8');
    const releases = stand.releases();
    const current = stand.current();
    fs.writeFileSync(path.join(stand.repo, 'hooks', 'post-receive'), '#!/bin/sh\nexit 0\n');

    const r = await stand.install();
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(stand.runtime, 'history', 'deploys.jsonl'), 'utf8')).toBe(records);
    expect(stand.releases()).toEqual(releases);
    expect(stand.current()).toBe(current);
    expect(fs.readFileSync(path.join(stand.runtime, 'shared', '.env'), 'utf8')).toBe('SECRET=owner-set\n');
    expect(fs.readFileSync(path.join(stand.repo, 'hooks', 'post-receive'), 'utf8')).toContain('bin/post-receive');
  }, 30_000);

  it('the health check works without curl, over bash /dev/tcp', async () => {
    const lib = path.join(hooksDir, 'deploy-lib.sh');
    const check = (url: string) => run('bash', ['-c', `source "${lib}" && health_ok_tcp "$1"`, 'check', url], { env: stand.env });
    expect((await check(`http://127.0.0.1:${stand.port}/api/health`)).code).toBe(0);
    expect((await check(`http://127.0.0.1:${stand.port}/nope`)).code).not.toBe(0);
    expect((await check(`http://127.0.0.1:${await freePort()}/api/health`)).code).not.toBe(0);
  });
});

describe('a first push that fails', () => {
  let stand: Stand;

  beforeAll(async () => {
    stand = new Stand(await freePort());
    expect((await stand.install()).code).toBe(0);
    await stand.initLaptop();
  });

  afterAll(() => stand?.cleanup());

  it('leaves nothing running and removes main again', async () => {
    const broken = await stand.commit('broken from the start', { ...app, BROKEN: 'yes\n' });
    const r = await stand.push();
    expect(r.stderr).toContain(
      `remote: DEPLOY FAILED: the gateway exited with code 1 at start; nothing was running before, so nothing runs now; main was removed`,
    );
    expect(await stand.serverRef('refs/heads/main')).toBeNull();
    expect(stand.current()).toBeNull();
    expect(stand.releases()).toEqual([]);
    expect(stand.calls().at(-1)).toMatch(/ down --remove-orphans$/);
    expect(await stand.running()).toBeNull();
    expect(stand.records()).toEqual([
      expect.objectContaining({ commit: broken, result: 'failed', previousCommit: null, reason: expect.any(String) }),
    ]);
  }, 30_000);
});

describe('shellcheck', () => {
  it('passes on every hook script and fixture', async () => {
    const scripts = [
      'install.sh',
      'deploy-lib.sh',
      'post-receive',
      'pre-receive',
      'rollback.sh',
      'test/fixtures/fake-compose.sh',
      'test/fixtures/bin/tailscale',
    ];
    const r = await run('shellcheck', ['-x', ...scripts], { cwd: hooksDir });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 30_000);
});
