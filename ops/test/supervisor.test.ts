import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../embedded/processes';
import { processRuns } from '@nebula/shared/runtime';
import { isHealthy, npmStart, postmasterPid, pressCtrlC, stackFile, stopStack, waitForOutput, type NpmStart } from '../test-support/npm-start';
import { tempDir } from '../test-support/services';

/** Opens /api/events/stream; `ended` resolves when the server ends it. */
async function follow(url: string): Promise<{ ended: Promise<void> }> {
  const res = await fetch(`${url}/api/events/stream`);
  const reader = res.body!.getReader();
  await reader.read();
  const ended = (async () => {
    for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) return;
  })();
  return { ended };
}

describe('npm start supervises its services', () => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  let url: string;
  let running: NpmStart | undefined;

  beforeAll(async () => {
    data = await tempDir('nebula-supervise-');
    running = npmStart({ NEBULA_DATA_DIR: data.path, NEBULA_PORT: String(await freePort()) });
    [, url] = (await waitForOutput(running, /Nebula is up: (http:\/\/127\.0\.0\.1:\d+)/, 240_000)) as [string, string];
  }, 300_000);

  afterAll(async () => {
    await stopStack(running);
    await data.remove();
  });

  for (const service of ['worker', 'gateway', 'redis', 'postgres'] as const) {
    it(`restarts the ${service} after a kill -9, says so, and the stack is healthy again`, async () => {
      const before = stackFile(data.path);
      const pid = { worker: before.worker!, gateway: before.gateway!, redis: before.redis.pid!, postgres: postmasterPid(data.path) }[service];
      const from = running!.output().length;
      process.kill(pid, 'SIGKILL');
      await waitForOutput(running!, new RegExp(`nebula: the ${service} stopped unexpectedly \\((SIGKILL|its postmaster is gone)\\); restarting it in 1 s`), 30_000, from);
      await waitForOutput(running!, new RegExp(`nebula: the ${service} is running again`), 60_000, from);
      expect(processRuns(before.supervisorPid)).toBe(true);
      await expect.poll(() => isHealthy(url), { timeout: 60_000, interval: 500 }).toBe(true);
      if (service === 'worker' || service === 'gateway') expect(stackFile(data.path)[service]).not.toBe(pid);
    }, 120_000);
  }

  it('a second npm start on another port picks free metrics ports and prints them', async () => {
    const first = /Prometheus metrics: http:\/\/127\.0\.0\.1:(\d+)\/metrics \(gateway\), http:\/\/127\.0\.0\.1:(\d+)\/metrics \(worker\)/.exec(running!.output());
    expect(first).not.toBeNull();
    const other = await tempDir('nebula-supervise-2-');
    const second = npmStart({ NEBULA_DATA_DIR: other.path, NEBULA_PORT: String(await freePort()) });
    try {
      await waitForOutput(second, /Nebula is up/, 240_000);
      const [, gateway, worker] = (await waitForOutput(second, /Prometheus metrics: http:\/\/127\.0\.0\.1:(\d+)\/metrics \(gateway\), http:\/\/127\.0\.0\.1:(\d+)\/metrics \(worker\)/, 10_000))!;
      expect([gateway, worker]).not.toContain(first![1]);
      expect([gateway, worker]).not.toContain(first![2]);
      for (const port of [gateway, worker]) expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
      expect(second.output()).not.toMatch(/^\s+at /m);
    } finally {
      await stopStack(second);
      await other.remove();
    }
  }, 300_000);

  it('Ctrl-C with clients following the event stream ends their streams and stops without waiting for the kill', async () => {
    const clients = await Promise.all([follow(url), follow(url)]);
    const pids = [stackFile(data.path).gateway!, stackFile(data.path).worker!];
    pressCtrlC(running!);
    // The supervisor gives each service its grace (35 s) before it kills it; this stack must not need it.
    const kill = new Promise<string>((resolve) => setTimeout(() => resolve('still running after 25 s'), 25_000).unref());
    expect(await Promise.race([running!.exited.then(() => 'stopped'), kill])).toBe('stopped');
    await Promise.all(clients.map((c) => c.ended));
    expect(running!.output()).toContain('nebula: stopped');
    expect(running!.output()).not.toContain('did not stop within');
    for (const pid of pids) expect(processRuns(pid)).toBe(false);
  }, 60_000);
});
