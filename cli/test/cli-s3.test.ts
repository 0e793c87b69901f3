import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNebula, type RunningNebula } from '../../ops/test-support/nebula-process';
import { makeRandomFile, tempDir } from '../../ops/test-support/services';
import { byEvent, cliHome, runCli, type CliEnvironment } from './cli-process';

/**
 * The CLI against a gateway on the s3 storage driver. Uploads cannot succeed here: @tus/s3-store
 * needs ListParts, which s3rver (the S3 server that runs on Node 20 here) answers with 405; see
 * server/test/files.test.ts. This names the gap and checks what the user sees when the storage
 * fails: the server's reason in one line (not the "already exists" that tus-js-client's retry of
 * the creation would hear), a failing exit code, and nothing left behind as ready.
 */
describe('nebula, the CLI, against a gateway on the s3 storage driver (s3rver)', () => {
  let nebula: RunningNebula;
  let work: { path: string; remove: () => Promise<void> };
  let env: CliEnvironment;

  beforeAll(async () => {
    [nebula, work] = await Promise.all([startNebula({ storage: 's3' }), tempDir('nebula-cli-s3-')]);
    env = { server: nebula.url, home: await cliHome() };
  }, 180_000);

  afterAll(async () => {
    await nebula?.stop();
    await work?.remove();
    if (env) await rm(env.home, { recursive: true, force: true });
  });

  it('folders work; an upload fails with the storage reason in one line (s3rver gap: no ListParts)', { timeout: 120_000 }, async () => {
    expect((await runCli(env, ['mkdir', '/s3/clips', '-p'])).code).toBe(0);

    const file = join(work.path, 'clip.bin');
    await makeRandomFile(file, 8 * 1024 * 1024);
    const up = await runCli(env, ['upload', file, '--to', '/s3/clips']);
    expect(up.code).toBe(1);
    const error = up.events.find(byEvent('error'));
    // The gateway names the failing part (storage) and keeps the S3 error's details in its own log.
    expect(error).toMatchObject({ code: 'storage_unavailable', path: '/s3/clips/clip.bin' });
    expect(error?.message).not.toMatch(/already exists/);
    expect(String(error?.message)).not.toContain('\n');
    expect(up.stderr).toBe('nebula: 1 of 1 file failed\n');

    const listed = await runCli(env, ['ls', '/s3/clips', '--json']);
    expect(listed.events.filter((entry) => entry.status === 'ready')).toEqual([]);
  });
});
