import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthReport } from '@nebula/contract';
import { gatewayMemory, type StackFile } from '../embedded/supervisor';
import { gatewayStart } from '../test-support/npm-start';
import { freePort, isListening } from '../embedded/processes';
import { processRuns } from '@nebula/shared/runtime';
import { RedisServer } from '../embedded/redis-server';
import { tempDir } from '../test-support/services';

const root = join(import.meta.dirname, '..', '..');

/** `npm start` as a user runs it, in its own process group so the test can press Ctrl-C on all of it. */
function npmStart(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | string> } {
  const child = spawn('npm', ['start'], { cwd: root, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  // npm itself dies of the signal it forwarded, so it exits with that signal, not a code.
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, output: () => output, exited };
}

async function waitForOutput(run: ReturnType<typeof npmStart>, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = pattern.exec(run.output());
    if (match) return match;
    if (run.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`npm start never printed ${pattern}; it printed:\n${run.output()}`);
}

function pressCtrlC(run: ReturnType<typeof npmStart>): void {
  try {
    process.kill(-run.child.pid!, 'SIGINT');
  } catch {
    // already gone
  }
}

/** Every process the stack started, as it recorded them, plus the postmaster from its pid file. */
function stackProcesses(dataDir: string): { pids: number[]; ports: number[] } {
  const stack = JSON.parse(readFileSync(join(dataDir, 'run', 'stack.json'), 'utf8')) as StackFile;
  const postmaster = Number(readFileSync(join(dataDir, 'postgres_data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  return {
    pids: [stack.supervisorPid, stack.gateway!, stack.worker!, stack.redis.pid!, postmaster],
    ports: [Number(new URL(stack.url).port), stack.postgres.port, stack.redis.port],
  };
}

function oneLine(output: string): string {
  return output
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('>') && !/^npm (warn|notice)/.test(l))
    .join('\n');
}

describe('npm start, the embedded stack', () => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  let port: number;
  let running: ReturnType<typeof npmStart> | undefined;

  beforeAll(async () => {
    data = await tempDir('nebula-start-');
    port = await freePort();
  });

  afterAll(async () => {
    if (running && running.child.exitCode === null) {
      pressCtrlC(running);
      await running.exited;
    }
    await data.remove();
  });

  it('brings up Postgres, Redis, gateway and worker, prints the URL, and reports every dependency ok', async () => {
    running = npmStart({ NEBULA_DATA_DIR: data.path, NEBULA_PORT: String(port) });
    const [, url] = await waitForOutput(running, /Nebula is up: (http:\/\/127\.0\.0\.1:\d+)/, 180_000);
    expect(url).toBe(`http://127.0.0.1:${port}`);
    // The tests' setup built the gateway and the worker: npm start leaves an up-to-date build alone,
    // so gateways other tests start from the same dist folders never read a file being rewritten.
    expect(running.output()).not.toContain('building the gateway');
    // The supervisor printed the URL once /api/health said 200. The report probes live parts (the
    // worker must answer a ping within 3 s), so on a loaded machine (CI runs the compose suite beside
    // this) the next probe may say otherwise for a moment: it must be 200 again soon, not at once.
    let body: HealthReport | undefined;
    await expect
      .poll(
        async () => {
          const res = await fetch(`${url}/api/health`);
          body = (await res.json()) as HealthReport;
          // The report itself, so a failure says which part was not ok.
          return { status: res.status, report: body };
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toMatchObject({ status: 200 });
    expect(Object.entries(body!.checks).map(([name, check]) => [name, check.state])).toEqual([
      ['postgres', 'ok'],
      ['redis', 'ok'],
      ['storage', 'ok'],
      ['worker', 'ok'],
      ['ffmpeg', 'ok'],
      ['hwaccel', 'ok'],
    ]);
    for (const folder of ['postgres_data', 'redis_data', 'run']) expect(existsSync(join(data.path, folder))).toBe(true);
    // Node's settings for a gateway on fs, the default driver (gatewayMemory says why).
    const started = gatewayStart(data.path);
    const memory = gatewayMemory('fs');
    expect(started.args).toEqual(expect.arrayContaining([...memory.flags, 'server/dist/main.js']));
    for (const [name, value] of Object.entries(memory.env)) expect(started.env).toContain(`${name}=${value}`);
  }, 240_000);

  it('listens on loopback only', async () => {
    const { ports } = stackProcesses(data.path);
    const listening = spawnSync('ss', ['-Hltn']).stdout.toString();
    for (const p of ports) {
      const sockets = listening.split('\n').filter((l) => l.includes(`:${p} `));
      expect(sockets.length).toBeGreaterThan(0);
      for (const line of sockets) expect(line).toMatch(/127\.0\.0\.1:\d+/);
    }
  });

  it('stops every process it started on Ctrl-C, and a second start finds the same data', async () => {
    const { pids, ports } = stackProcesses(data.path);
    const stack = JSON.parse(readFileSync(join(data.path, 'run', 'stack.json'), 'utf8')) as StackFile;
    const secrets = JSON.parse(readFileSync(join(data.path, 'embedded-secrets.json'), 'utf8')) as { postgresPassword: string };
    const dbUrl = (p: number) => `postgres://nebula:${secrets.postgresPassword}@127.0.0.1:${p}/nebula`;

    // Leave a trace in both stores.
    const client = new pg.Client({ connectionString: dbUrl(stack.postgres.port) });
    await client.connect();
    await client.query(`INSERT INTO events (type, subject, data) VALUES ('folder.created', '/kept', '{}')`);
    await client.end();
    const redis = new RedisServer({ dir: '', port: stack.redis.port, appendOnly: true, logFile: '' });
    expect(await redis.command('SET nebula:test:kept yes')).toBe('+OK');

    pressCtrlC(running!);
    expect(await running!.exited).toMatch(/^(0|SIGINT)$/);
    expect(running!.output()).toContain('nebula: stopped');
    for (const pid of pids) await expect.poll(() => processRuns(pid), { message: `pid ${pid} still alive`, timeout: 10_000 }).toBe(false);
    for (const p of ports) expect(await isListening(p), `port ${p} still open`).toBe(false);

    running = npmStart({ NEBULA_DATA_DIR: data.path, NEBULA_PORT: String(port) });
    await waitForOutput(running, /Nebula is up/, 120_000);
    expect(running.output()).not.toContain('first run');
    const again = JSON.parse(readFileSync(join(data.path, 'run', 'stack.json'), 'utf8')) as StackFile;
    const { pids: againPids } = stackProcesses(data.path);
    const client2 = new pg.Client({ connectionString: dbUrl(again.postgres.port) });
    await client2.connect();
    const { rows } = await client2.query(`SELECT subject FROM events WHERE type = 'folder.created'`);
    await client2.end();
    expect(rows).toEqual([{ subject: '/kept' }]);
    const redis2 = new RedisServer({ dir: '', port: again.redis.port, appendOnly: true, logFile: '' });
    expect(await redis2.command('GET nebula:test:kept')).toBe('$3\r\nyes');

    process.kill(running.child.pid!, 'SIGTERM'); // npm itself, as a service manager would
    await running.exited;
    await expect.poll(() => running!.output(), { timeout: 20_000 }).toContain('nebula: stopped');
    for (const pid of againPids) {
      await expect.poll(() => processRuns(pid), { timeout: 20_000 }).toBe(false);
    }
  }, 180_000);

  it('refuses a port that is not a number with one line naming NEBULA_PORT', async () => {
    const run = npmStart({ NEBULA_DATA_DIR: data.path, NEBULA_PORT: 'abc' });
    expect(await run.exited).toBe(1);
    expect(oneLine(run.output())).toBe(
      'nebula: Nebula cannot start, the configuration is wrong:\n  - NEBULA_PORT: expected a TCP port, a whole number from 1 to 65535 (got "abc")',
    );
  });

  // As root, Postgres runs as the "postgres" user, which must be able to walk down to the data folder.
  it.runIf(process.getuid?.() === 0)('refuses a data folder Postgres cannot enter, in one line saying what to do, without a stack trace', async () => {
    const locked = await tempDir('nebula-locked-');
    try {
      chmodSync(locked.path, 0o700);
      const run = npmStart({ NEBULA_DATA_DIR: join(locked.path, 'data'), NEBULA_PORT: String(await freePort()) });
      expect(await run.exited).toBe(1);
      expect(oneLine(run.output())).toBe(
        `nebula: creating the Postgres cluster in ${join(locked.path, 'data', 'postgres_data')} (first run)\n` +
          `nebula: Postgres runs as the "postgres" user, which cannot enter ${locked.path} (mode 700). Set NEBULA_DATA_DIR to a folder it can reach (e.g. /var/lib/nebula), or chmod o+x ${locked.path}.`,
      );
    } finally {
      await locked.remove();
    }
  });

  it('says which port is taken when something already listens on it', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const taken = (busy.address() as { port: number }).port;
    try {
      const run = npmStart({ NEBULA_DATA_DIR: data.path, NEBULA_PORT: String(taken) });
      expect(await run.exited).toBe(1);
      expect(oneLine(run.output())).toBe(
        `nebula: port ${taken} on 127.0.0.1 is already in use (set NEBULA_PORT to another port, or stop what uses it)`,
      );
    } finally {
      busy.close();
    }
  });

  it('the gateway fails fast on an unreachable DATABASE_URL, naming the variable and hiding the password', async () => {
    const closed = await freePort();
    const result = spawnSync(process.execPath, ['--conditions=production', 'server/dist/main.js'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: `postgres://nebula:hunter2@127.0.0.1:${closed}/nebula`, REDIS_URL: `redis://127.0.0.1:${closed}` },
      timeout: 30_000,
    });
    const stderr = result.stderr.toString();
    expect(result.status).toBe(1);
    expect(stderr).toBe(
      `nebula gateway: DATABASE_URL: cannot connect to postgres://nebula:***@127.0.0.1:${closed}/nebula (ECONNREFUSED: nothing listens there). Is Postgres running and reachable from here?\n` +
        `REDIS_URL: cannot connect to redis://127.0.0.1:${closed} (ECONNREFUSED: nothing listens there). Is Redis running and reachable from here?\n`,
    );
    expect(stderr).not.toContain('hunter2');
    expect(stderr).not.toMatch(/^\s+at /m);
  });
});
