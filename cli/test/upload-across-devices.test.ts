import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntryDto } from '@nebula/contract';
import { startNebula, type RunningNebula } from '../../ops/test-support/nebula-process';
import { makeRandomFile, tempDir } from '../../ops/test-support/services';
import { byEvent, cliHome, runCli, sha256Of, type CliEnvironment } from './cli-process';
import { abandonUpload } from '../../ops/test-support/unfinished-upload';

const MiB = 1024 * 1024;

/**
 * An upload abandoned on one device, met by `nebula upload` on another (a CLI home of its own,
 * so no local resume state): the real CLI against the real gateway. The abandoned uploads are
 * started with raw tus requests, as a phone's or a browser's tus client would leave them.
 */
describe('nebula upload meets an unfinished upload of the same name', () => {
  let nebula: RunningNebula;
  let work: { path: string; remove: () => Promise<void> };
  let env: CliEnvironment;

  beforeAll(async () => {
    [nebula, work] = await Promise.all([startNebula(), tempDir('nebula-cli-devices-')]);
    env = { server: nebula.url, home: await cliHome() };
  }, 180_000);

  afterAll(async () => {
    await nebula?.stop();
    await work?.remove();
    if (env) await rm(env.home, { recursive: true, force: true });
  });

  /** What another device left behind: `sent` bytes of `file` at /trip/<name>, by `user` (none: the single owner). */
  const abandon = (file: string, name: string, sent: number, sha256: string, user?: string) => abandonUpload(nebula.url, { file, folder: '/trip', name, sent, sha256, user });


  const lookup = async (path: string) => (await (await fetch(`${nebula.url}/api/files/lookup?path=${encodeURIComponent(path)}`)).json()) as EntryDto;

  it('ls shows the unfinished upload with how far it got', async () => {
    const file = join(work.path, 'shown.bin');
    const sha256 = await makeRandomFile(file, 4 * MiB);
    await abandon(file, 'shown.bin', MiB, sha256, 'alice@example.com');
    const ls = await runCli(env, ['ls', '/trip', '--json']);
    expect(ls.code).toBe(0);
    expect(ls.events.find((e) => (e as unknown as EntryDto).name === 'shown.bin')).toMatchObject({ status: 'uploading', owner: 'alice@example.com', size: 4 * MiB, upload: { received: MiB, sha256 } });
  });

  it('resumes the same file where the other device stopped, instead of failing with 409', { timeout: 120_000 }, async () => {
    const file = join(work.path, 'clip.bin');
    const sha256 = await makeRandomFile(file, 6 * MiB);
    await abandon(file, 'clip.bin', 2 * MiB, sha256);
    const up = await runCli(env, ['upload', file, '--to', '/trip']);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(up.events.find(byEvent('resumed'))).toMatchObject({ offset: 2 * MiB, total: 6 * MiB });
    expect(up.events.find(byEvent('done'))).toMatchObject({ path: '/trip/clip.bin', sha256, bytes: 6 * MiB, sent: 4 * MiB });
    const out = join(work.path, 'clip.back');
    expect((await runCli(env, ['get', '/trip/clip.bin', '-o', out])).code).toBe(0);
    expect(await sha256Of(out)).toBe(sha256);
  });

  it('refuses a different file of that name with the reason, and --replace gives the old upload up and sends the new one', { timeout: 120_000 }, async () => {
    const old = join(work.path, 'old.bin');
    const oldSha = await makeRandomFile(old, 3 * MiB);
    const abandoned = await abandon(old, 'notes.bin', MiB, oldSha);
    const oldId = (await lookup('/trip/notes.bin')).id;
    const fresh = join(work.path, 'notes.bin');
    const freshSha = await makeRandomFile(fresh, 2 * MiB);

    const refused = await runCli(env, ['upload', fresh, '--to', '/trip']);
    expect(refused.code).not.toBe(0);
    expect(refused.events.find(byEvent('error'))).toMatchObject({ code: 'upload_in_progress', message: expect.stringContaining('/trip/notes.bin is your unfinished upload') });

    const replaced = await runCli(env, ['upload', fresh, '--to', '/trip', '--replace']);
    expect(replaced.stderr).toBe('');
    expect(replaced.code).toBe(0);
    expect(replaced.events.find(byEvent('replaced'))).toMatchObject({ file: fresh, path: '/trip/notes.bin', received: MiB });
    expect(replaced.events.find(byEvent('done'))).toMatchObject({ path: '/trip/notes.bin', sha256: freshSha, sent: 2 * MiB });
    expect((await lookup('/trip/notes.bin')).id).not.toBe(oldId);
    expect((await fetch(abandoned, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } })).status).toBe(404);
  });

  it('leaves another user\u2019s unfinished upload alone, even with --replace, and says whose it is', { timeout: 120_000 }, async () => {
    const file = join(work.path, 'theirs.bin');
    const sha256 = await makeRandomFile(file, 2 * MiB);
    await abandon(file, 'theirs.bin', MiB, sha256, 'alice@example.com');
    const up = await runCli(env, ['upload', file, '--to', '/trip', '--replace']);
    expect(up.code).not.toBe(0);
    const error = up.events.find(byEvent('error'));
    expect(error).toMatchObject({ code: 'upload_in_progress', message: expect.stringMatching(/\/trip\/theirs\.bin is being uploaded by alice@example\.com since \S+ \(1048576 of 2097152 bytes \(50%\) received\)/) });
    expect(up.events.find(byEvent('replaced'))).toBeUndefined();
    expect((await lookup('/trip/theirs.bin')).upload).toMatchObject({ received: MiB });
  });
});
