import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Why the compose suite cannot run here (one line), or '' when a Docker engine answers. */
    composeSkip: string;
  }
}

const here = import.meta.dirname;
const sh = (command: string, args: string[], timeoutMs = 60_000) => spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs });
const engineAnswers = () => sh('docker', ['info', '--format', '{{.ServerVersion}}'], 20_000).status === 0;
const isRoot = () => process.getuid?.() === 0;
const onPath = (program: string) => sh('sh', ['-c', `command -v ${program}`]).status === 0;

/** Runs a script with its output shown (these steps can take minutes on a cold machine). */
function step(what: string, command: string, args: string[]): void {
  const started = Date.now();
  const result = spawnSync(command, args, { stdio: 'inherit', timeout: 30 * 60_000 });
  if (result.status !== 0) throw new Error(`${what} failed (${result.signal ?? `exit ${result.status}`}): ${command} ${args.join(' ')}`);
  console.log(`compose suite: ${what} took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * The compose suite's setup: a Docker engine (started here as root when none runs, and stopped by
 * its pid at the end), compose v2 + buildx, and the stand-in images (npm run compose:standins).
 * Without root and apt, or without a way to start dockerd, the suite is skipped with one line.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let started: { pid: number; dir: string } | null = null;
  const skip = (reason: string) => {
    project.provide('composeSkip', reason);
    return async () => {};
  };

  if (!engineAnswers()) {
    if (!isRoot()) return skip('no Docker engine answers, and starting one needs root');
    if (!onPath('dockerd')) {
      if (!onPath('apt-get')) return skip('no Docker engine, and no apt-get to install docker.io');
      step('apt-get install docker.io', 'sh', ['-c', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io debootstrap || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io debootstrap; }']);
    }
    const dir = mkdtempSync(join(tmpdir(), 'nebula-dockerd-'));
    const log = openSync(join(dir, 'dockerd.log'), 'a');
    const child = spawn('dockerd', ['--host=unix:///var/run/docker.sock'], { detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    child.unref();
    started = { pid: child.pid!, dir };
    const deadline = Date.now() + 90_000;
    while (!engineAnswers()) {
      if (Date.now() > deadline || child.exitCode !== null) {
        stopEngine(started);
        return skip(`dockerd did not start (its log: ${join(dir, 'dockerd.log')})`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    console.log(`compose suite: started dockerd (pid ${child.pid}); it is stopped at the end`);
  }

  step('stand-in images (npm run compose:standins)', 'bash', [join(here, 'build-standins.sh')]);
  step('compose v2 and buildx plugins', 'bash', [join(here, 'install-compose.sh')]);
  project.provide('composeSkip', '');
  return async () => {
    if (!started) return;
    stopEngine(started);
    // Its log is kept only where the engine did not start (the skip line points at it).
    rmSync(started.dir, { recursive: true, force: true });
  };
}

/** Stops the dockerd this setup started, by pid: SIGTERM, then SIGKILL after 30 s. */
function stopEngine({ pid }: { pid: number; dir: string }): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    sh('sleep', ['0.2']);
  }
  if (existsSync(`/proc/${pid}`)) process.kill(pid, 'SIGKILL');
}
