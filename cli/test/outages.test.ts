import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNebula, type RunningNebula } from '../../ops/test-support/nebula-process';
import { makeRandomFile, tempDir } from '../../ops/test-support/services';
import { TcpHop } from '../../ops/test-support/tcp-hop';
import { byEvent, cliHome, runCli, spawnCli, type CliEnvironment } from './cli-process';

const MiB = 1024 * 1024;

describe('nebula, while Postgres restarts under the gateway', () => {
  let nebula: RunningNebula;
  let hop: TcpHop;
  let work: { path: string; remove: () => Promise<void> };
  let env: CliEnvironment;

  beforeAll(async () => {
    [nebula, work] = await Promise.all([
      startNebula({
        worker: false,
        databaseVia: async (url) => {
          const direct = new URL(url);
          hop = await new TcpHop({ port: Number(direct.port) }).open();
          direct.port = String(hop.port);
          return direct.toString();
        },
      }),
      tempDir('nebula-cli-outage-'),
    ]);
    env = { server: nebula.url, home: await cliHome() };
  }, 180_000);

  afterAll(async () => {
    await nebula?.stop();
    await hop?.cut();
    await work?.remove();
    if (env) await rm(env.home, { recursive: true, force: true });
  });

  it('an upload, a listing and a download started while Postgres is down wait for it, then succeed (they failed at once before)', { timeout: 120_000 }, async () => {
    const before = join(work.path, 'before.bin');
    const beforeSha256 = await makeRandomFile(before, 5 * MiB);
    expect((await runCli(env, ['upload', before, '--to', '/before'])).code).toBe(0);
    // A file the server has not seen: its upload needs every step (lookups, creation, bytes).
    const file = join(work.path, 'during-restart.bin');
    const sha256 = await makeRandomFile(file, 5 * MiB);

    await hop.cut();
    const upload = spawnCli(env, ['upload', file, '--to', '/during']);
    const listing = spawnCli(env, ['ls', '/before']);
    const download = spawnCli(env, ['get', '/before/before.bin', '-o', join(work.path, 'back.bin')]);
    // Postgres is back 4 s later, as after a restart.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    await hop.open();

    const [up, ls, get] = await Promise.all([upload.result(), listing.result(), download.result()]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.events.find(byEvent('done'))).toMatchObject({ path: '/during/during-restart.bin', sha256 });
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toContain('before.bin');
    // The user is told why nothing happens meanwhile, on stderr (stdout stays the listing), and
    // which part is down: the refused connection's port is the database's.
    expect(ls.stderr).toMatch(/^nebula: the database \(Postgres\) is not answering right now \(database_unavailable\); asking again in \d+ s$/m);
    expect(ls.stdout).not.toContain('asking again');
    expect(get.code, get.stderr).toBe(0);
    expect(get.events.find(byEvent('done'))).toMatchObject({ sha256: beforeSha256 });
  });
});
