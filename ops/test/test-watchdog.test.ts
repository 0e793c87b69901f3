import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processRuns } from '@nebula/shared/runtime';
import { waitFor } from '../embedded/processes';

const watchdogModule = join(import.meta.dirname, '..', 'test-support', 'watchdog.ts');

/**
 * A process that starts a server in a session of its own (as pg_ctl and Ceph's daemons are started),
 * a watchdog for it and its folder, prints the server's pid, and then ends as `how` says.
 */
async function runOwner(dir: string, how: 'killed' | 'disarmed' | 'restarted'): Promise<number> {
  const script = `
    import { spawn } from 'node:child_process';
    import { writeFileSync } from 'node:fs';
    import { startWatchdog } from ${JSON.stringify(watchdogModule)};
    const how = ${JSON.stringify(how)};
    const pidFile = ${JSON.stringify(join(dir, 'server.pid'))};
    const serve = () => {
      const server = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
      server.unref();
      writeFileSync(pidFile, server.pid + '\\n');
      return server;
    };
    let server = serve();
    const watchdog = startWatchdog(${JSON.stringify(dir)});
    if (how === 'restarted') {
      // Watched by its pid file, then restarted (as a test restarts its redis-server): the new one is stopped.
      watchdog.watchPidFile(pidFile);
      server.kill();
      server = serve();
    } else watchdog.watch(server.pid);
    if (how === 'disarmed') watchdog.disarm();
    console.log(server.pid);
    if (how !== 'disarmed') setInterval(() => undefined, 1000);
  `;
  const owner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = await new Promise<number>((resolve, reject) => {
    owner.stdout!.once('data', (line: Buffer) => resolve(Number(line.toString().trim())));
    owner.once('exit', (code) => reject(new Error(`the owner exited (${code}) before starting its server`)));
  });
  if (how !== 'disarmed') owner.kill('SIGKILL'); // no teardown at all, as after a Ctrl-C or a timeout
  await new Promise((exited) => (owner.exitCode !== null ? exited(undefined) : owner.once('exit', exited)));
  return pid;
}

/** Alive and not a zombie (this machine's init may leave one unreaped). */
const alive = (pid: number) => processRuns(pid) && !/^\d+ \(.*\) Z/.test(readStat(pid));
const readStat = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return '';
  }
};

describe('test servers outlive no test run', () => {
  const started: number[] = [];
  let dir: string;
  afterEach(async () => {
    for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('stops a server and removes its folder when the run that started it is killed', async () => {
    dir = await mkdtemp(join(tmpdir(), 'nebula-watchdog-'));
    await writeFile(join(dir, 'data'), 'x');
    const pid = await runOwner(dir, 'killed');
    started.push(pid);
    await waitFor('the server stopped and its folder removed', async () => !alive(pid) && !existsSync(dir), 15_000, 50);
  });

  it('follows a server restarted under the same pid file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'nebula-watchdog-'));
    const pid = await runOwner(dir, 'restarted');
    started.push(pid);
    await waitFor('the restarted server stopped and its folder removed', async () => !alive(pid) && !existsSync(dir), 15_000, 50);
  });

  it('leaves them to the run once it stops them itself', async () => {
    dir = await mkdtemp(join(tmpdir(), 'nebula-watchdog-'));
    const pid = await runOwner(dir, 'disarmed');
    started.push(pid);
    await new Promise((r) => setTimeout(r, 1000));
    expect(alive(pid)).toBe(true);
    expect(existsSync(dir)).toBe(true);
  });
});
