// nebula deploy, deploys and rollback against a real bare repo made by hooks/install.sh in a temp
// HOME, with the real post-receive hook and rollback.sh, pushed to with real git.
//
// To stay quick, NEBULA_COMPOSE and NEBULA_DOCKER point at the TEST STAND-INS for `docker compose` and
// `docker` that the hooks' own test uses (hooks/test/fixtures/fake-compose.sh, fake-docker.sh): on
// `up` a tiny health server on 127.0.0.1 plays the gateway; a release with a file named BROKEN exits
// at start, one with NEVER_HEALTHY never passes its health check. (ops/test/compose-e2e.test.ts
// runs `nebula deploy` against a real Docker engine.)
// No ssh server runs either: for the ssh remote, NEBULA_SSH_COMMAND points at
// fixtures/fake-ssh.sh, a TEST STAND-IN for ssh that runs the remote command here.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../ops/embedded/processes';
import { startNebula, type RunningNebula } from '../../ops/test-support/nebula-process';
import { tempDir } from '../../ops/test-support/services';
import { waitFor } from '../../ops/embedded/processes';
import { byEvent, cliHome, repoRoot, runCli, spawnCli, type CliEnvironment } from './cli-process';

const run = promisify(execFile);
const fakeCompose = join(repoRoot, 'hooks', 'test', 'fixtures', 'fake-compose.sh');
const fakeDocker = join(repoRoot, 'hooks', 'test', 'fixtures', 'fake-docker.sh');
const fakeSsh = join(import.meta.dirname, 'fixtures', 'fake-ssh.sh');
const HEALTH_TIMEOUT_S = 3;
const short = (sha: string) => sha.slice(0, 7);

describe('nebula deploy, deploys and rollback (real git, real hooks; docker compose and ssh stood in for)', () => {
  let root: { path: string; remove: () => Promise<void> };
  let nebula: RunningNebula;
  let env: CliEnvironment;
  let home: string;
  let laptop: string;
  let state: string;
  let healthUrl: string;
  let vars: Record<string, string>;
  const commits = { good: '', broken: '', fixed: '' };

  const git = async (...args: string[]) => (await run('git', args, { cwd: laptop, env: { ...process.env, ...vars } })).stdout.trim();
  const commit = async (message: string, files: Record<string, string | null>) => {
    for (const [name, content] of Object.entries(files)) {
      if (content === null) await rm(join(laptop, name), { force: true });
      else await writeFile(join(laptop, name), content);
    }
    await git('add', '-A');
    await git('commit', '-q', '--allow-empty', '-m', message);
    return git('rev-parse', 'HEAD');
  };
  const nebulaCli = (args: string[], extra: Record<string, string> = {}) => runCli(env, args, { cwd: laptop, env: { ...vars, ...extra } });
  const serverMain = async () => (await run('git', ['--git-dir', join(home, 'nebula.git'), 'rev-parse', 'refs/heads/main'])).stdout.trim();
  /** The release the stand-in gateway serves, or null when nothing answers. */
  const running = async () => {
    const response = await fetch(healthUrl).catch(() => null);
    return response?.ok ? ((await response.json()) as { release: string }).release : null;
  };

  beforeAll(async () => {
    root = await tempDir('nebula-cli-deploy-');
    home = join(root.path, 'home');
    laptop = join(root.path, 'laptop');
    state = join(root.path, 'compose-state');
    for (const dir of [home, laptop, state]) await mkdir(dir, { recursive: true });
    const port = await freePort();
    healthUrl = `http://127.0.0.1:${port}/api/health`;
    vars = {
      HOME: home,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Owner',
      GIT_AUTHOR_EMAIL: 'owner@example.test',
      GIT_COMMITTER_NAME: 'Owner',
      GIT_COMMITTER_EMAIL: 'owner@example.test',
      NEBULA_COMPOSE: fakeCompose,
      NEBULA_DOCKER: fakeDocker,
      NEBULA_HEALTH_URL: healthUrl,
      NEBULA_HEALTH_TIMEOUT: String(HEALTH_TIMEOUT_S),
      FAKE_COMPOSE_STATE: state,
      FAKE_COMPOSE_PORT: String(port),
      FAKE_SSH_LOG: join(root.path, 'ssh-calls.log'),
    };
    await run('bash', [join(repoRoot, 'hooks', 'install.sh')], { cwd: root.path, env: { ...process.env, ...vars } });
    await git('init', '-q', '-b', 'main');
    await git('remote', 'add', 'server', join(home, 'nebula.git'));
    // The same server as install.sh prints it for a laptop: over ssh (here: the stand-in).
    await git('remote', 'add', 'homebox', `ssh://owner@homebox.test:2222${join(home, 'nebula.git')}`);
    // The gateway reads the history the hook writes, as compose mounts it on the server.
    nebula = await startNebula({ env: { NEBULA_DEPLOY_HISTORY_DIR: join(home, 'nebula', 'history') } });
    env = { server: nebula.url, home: await cliHome() };
  }, 180_000);

  afterAll(async () => {
    const pid = await readFile(join(state, 'gateway.pid'), 'utf8').catch(() => null);
    if (pid) {
      try {
        process.kill(Number(pid), 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await nebula?.stop();
    if (env) await rm(env.home, { recursive: true, force: true });
    await root?.remove();
  });

  it('a good deploy shows the hook live and ends with the deployed commit', { timeout: 60_000 }, async () => {
    commits.good = await commit('first release', { 'docker-compose.yml': 'name: nebula\n', '.env.example': 'SECRET=change-me\n' });
    const result = await nebulaCli(['deploy']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.events[0]).toMatchObject({ event: 'push', remote: 'server', commit: commits.good, subject: 'first release' });
    const deployed = result.events.at(-1)!;
    expect(deployed).toMatchObject({ event: 'deployed', commit: commits.good, short: short(commits.good), subject: 'first release' });
    expect(deployed.release).toMatch(new RegExp(`^\\d{8}T\\d{6}Z-${short(commits.good)}$`));
    // The hook's steps came through as they happened, as git shows them.
    const remote = result.events.filter((e) => e.event === 'output' && e.remote).map((e) => e.line as string);
    // The build's own output stays in the deploy log; the pusher sees the step and its time.
    expect(remote).toEqual(expect.arrayContaining([expect.stringMatching(/^remote: ==> \[\d\d:\d\d:\d\d\] build \(full output in the deploy log\)$/), expect.stringMatching(/^remote: built in \d+ s$/)]));
    expect(remote).not.toContain(`remote: (stand-in) building images for ${deployed.release as string}`);
    expect(await serverMain()).toBe(commits.good);
    expect(await running()).toBe(deployed.release);
  });

  it('says there is nothing to deploy when the server already runs HEAD', { timeout: 60_000 }, async () => {
    const result = await nebulaCli(['deploy']);
    expect(result.code).toBe(0);
    expect(result.events.at(-1)).toEqual({ event: 'up_to_date', commit: commits.good });
  });

  it('a deploy whose health check fails exits non-zero and says why', { timeout: 60_000 }, async () => {
    const before = await running();
    commits.broken = await commit('never answers /api/health', { BROKEN: 'yes\n' });
    const result = await nebulaCli(['deploy']);
    const reason = `the new gateway exited with code 1 at start; rolled back to ${short(commits.good)}`;
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`nebula: deploy failed: ${reason}\n`);
    expect(result.events.find(byEvent('deploy_failed'))).toEqual({ event: 'deploy_failed', commit: commits.broken, reason });
    // The previous release runs again, and main names it.
    expect(await running()).toBe(before);
    expect(await serverMain()).toBe(commits.good);
  });

  it('deploys lists both with their result, from the gateway and from the server itself', { timeout: 60_000 }, async () => {
    const expected = [
      { commit: commits.broken, subject: 'never answers /api/health', kind: 'push', result: 'rolled_back', reason: 'the new gateway exited with code 1 at start', running: false },
      { commit: commits.good, subject: 'first release', kind: 'push', result: 'success', running: true },
    ];
    const fromGateway = await nebulaCli(['deploys']);
    expect(fromGateway.stderr).toBe('');
    expect(fromGateway.code).toBe(0);
    expect(fromGateway.events).toEqual(expected.map((record) => expect.objectContaining(record)));
    for (const record of fromGateway.events) expect(record.durationMs).toEqual(expect.any(Number));

    const fromServer = await nebulaCli(['deploys', '--remote']);
    expect(fromServer.stderr).toBe('');
    expect(fromServer.events).toEqual(fromGateway.events);
  });

  it('rollback brings back the previous release, locally and over ssh', { timeout: 90_000 }, async () => {
    commits.fixed = await commit('fixed', { BROKEN: null });
    expect((await nebulaCli(['deploy'])).events.at(-1)).toMatchObject({ event: 'deployed', commit: commits.fixed });
    const releases = join(home, 'nebula', 'releases');
    const goodRelease = (await run('ls', [releases])).stdout.split('\n').find((name) => name.endsWith(short(commits.good)))!;

    const back = await nebulaCli(['rollback']);
    expect(back.stderr).toBe('');
    expect(back.code).toBe(0);
    expect(back.events.at(-1)).toEqual({ event: 'rolled_back', commit: short(commits.good), subject: 'first release', release: goodRelease });
    expect(back.events.filter(byEvent('output')).map((e) => e.line)).toEqual(expect.arrayContaining([expect.stringMatching(/^==> \[\d\d:\d\d:\d\d\] build \(full output in the deploy log\)$/)]));
    expect(await running()).toBe(goodRelease);
    expect(await serverMain()).toBe(commits.good);
    expect(basename(await readlink(join(home, 'nebula', 'current')))).toBe(goodRelease);

    // Forward again by sha, over "ssh": the stand-in runs what ssh would run on the server.
    const forward = await nebulaCli(['rollback', short(commits.fixed), '--remote', 'homebox'], { NEBULA_SSH_COMMAND: fakeSsh });
    expect(forward.stderr).toBe('');
    expect(forward.code).toBe(0);
    expect(forward.events.at(-1)).toMatchObject({ event: 'rolled_back', commit: short(commits.fixed), subject: 'fixed' });
    expect(await serverMain()).toBe(commits.fixed);
    const calls = (await readFile(vars.FAKE_SSH_LOG!, 'utf8')).trim().split('\n');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatch(new RegExp(`^-p 2222 owner@homebox\\.test bash -c '.*rollback\\.sh.*' nebula ${short(commits.fixed)}$`));

    const records = await nebulaCli(['deploys', '--limit', '2']);
    expect(records.events.map((e) => [e.kind, e.commit, e.result, e.running])).toEqual([
      ['rollback', commits.fixed, 'success', true],
      ['rollback', commits.good, 'success', false],
    ]);
  });

  it('rollback to a commit the server does not keep fails in one line', { timeout: 60_000 }, async () => {
    const result = await nebulaCli(['rollback', 'abcdef0']);
    expect(result.code).toBe(4);
    expect(result.stderr).toBe('nebula: rollback failed: no kept release of commit abcdef0 (nebula rollback --list shows the kept ones)\n');
    const usage = await nebulaCli(['rollback', 'HEAD~1']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe('nebula: not a commit sha: "HEAD~1" (4 to 40 hex digits, e.g. abc1234)\n');
  });

  it('refuses flags that do not go together, naming them', async () => {
    const listAndSha = await nebulaCli(['rollback', '--list', 'abcdef0']);
    expect(listAndSha.stderr).toBe('nebula: --list takes no commit: nebula rollback --list shows the kept releases, nebula rollback abcdef0 goes back to one\n');
    expect(listAndSha.code).toBe(2);
    const runtimeAlone = await nebulaCli(['deploys', '--runtime', '/srv/nebula']);
    expect(runtimeAlone.stderr).toBe('nebula: --runtime needs --remote: it names the runtime folder on the server, which only --remote reads (the gateway knows its own)\n');
    expect(runtimeAlone.code).toBe(2);
  });

  it('explains a server script that fails by the line the hook printed, on stdout too', { timeout: 60_000 }, async () => {
    // Another deploy holds the lock; rollback.sh gives up waiting and says so on stdout, not stderr.
    // (-o: only flock holds it, so killing flock frees it.)
    const holder = spawn('flock', ['-o', join(home, 'nebula', 'deploy.lock'), '-c', 'echo held; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await once(holder.stdout!, 'data');
      const result = await nebulaCli(['rollback'], { NEBULA_LOCK_TIMEOUT: '1' });
      expect(result.stderr).toBe(`nebula: rollback failed: gave up waiting for the deploy lock after 1 s (${join(home, 'nebula', 'deploy.lock')})\n`);
      expect(result.code).toBe(1);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('Ctrl-C during a deploy stops following it: the deploy goes on on the server', { timeout: 60_000 }, async () => {
    const slow = await commit('fails its health check slowly', { NEVER_HEALTHY: 'yes\n' });
    const deploying = spawnCli(env, ['deploy'], { cwd: laptop, env: vars });
    await deploying.waitFor((e) => e.event === 'output' && /==> \[[\d:]+\] trial: /.test(e.line as string));
    deploying.child.kill('SIGINT');
    const result = await deploying.result();
    expect(result.stderr).toBe('nebula: interrupted: if the push reached the server, the deploy goes on there; nebula deploys shows its result\n');
    expect(result.code).toBe(130);

    // The hook runs to its end without anyone listening: the release is rolled back and recorded.
    let last: Record<string, unknown> | undefined;
    await waitFor('the deploy record', async () => {
      last = (await nebulaCli(['deploys', '--limit', '1'])).events[0];
      return last?.commit === slow;
    }, 30_000, 200);
    expect(last).toMatchObject({ commit: slow, result: 'rolled_back' });
    expect(await serverMain()).toBe(commits.fixed);
  });

  it("a push the server refuses says git's reason in one line", { timeout: 60_000 }, async () => {
    // A history that went its own way: main on the server is not an ancestor of HEAD.
    const main = await serverMain();
    await git('checkout', '-q', '-b', 'elsewhere', `${main}~1`);
    try {
      await commit('made beside main', { SIDE: 'yes\n' });
      const result = await nebulaCli(['deploy']);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe('nebula: git push server failed: rejected (non-fast-forward)\n');
      expect(await serverMain()).toBe(main);
    } finally {
      await git('checkout', '-q', 'main');
    }
  });

  it('deploy outside a checkout, or without the remote, says what to do', async () => {
    const elsewhere = await runCli(env, ['deploy'], { cwd: root.path, env: vars });
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toBe(`nebula: ${root.path} is not in a git repository: run this from your Nebula checkout\n`);
    const noRemote = await nebulaCli(['deploy', '--remote', 'nowhere']);
    expect(noRemote.code).toBe(2);
    expect(noRemote.stderr).toBe('nebula: this checkout has no git remote named "nowhere": on the server, hooks/install.sh prints the line to add it (git remote add nowhere ssh://you@server/...)\n');
  });
});
