import { mkdir, readFile, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startNebula, type RunningNebula } from '../../ops/test-support/nebula-process';
import { makeRandomFile as randomFile, tempDir } from '../../ops/test-support/services';
import stringWidth from 'string-width';
import { byEvent, cliHome, killHard, runCli, runCliOnTerminal, sha256Of, spawnCli, type CliEnvironment, type CliEvent } from './cli-process';

const MiB = 1024 * 1024;
const BIG = 300 * MiB;

describe('nebula, the CLI, against a real gateway and worker (fs storage)', () => {
  let nebula: RunningNebula;
  let work: { path: string; remove: () => Promise<void> };
  let env: CliEnvironment;
  let big: string;
  let bigSha256: string;

  beforeAll(async () => {
    [nebula, work] = await Promise.all([startNebula(), tempDir('nebula-cli-test-')]);
    env = { server: nebula.url, home: await cliHome() };
    big = join(work.path, 'big.bin');
    bigSha256 = await randomFile(big, BIG);
  }, 180_000);

  afterAll(async () => {
    await nebula?.stop();
    await work?.remove();
    if (env) await rm(env.home, { recursive: true, force: true });
  });

  it('uploads a 300 MB file, then downloads it byte for byte', { timeout: 180_000 }, async () => {
    const up = await runCli(env, ['upload', big, '--to', '/films']);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    const done = up.events.find(byEvent('done'));
    expect(done).toMatchObject({ file: big, path: '/films/big.bin', sha256: bigSha256, bytes: BIG, sent: BIG });
    expect(up.events.filter(byEvent('progress')).length).toBeGreaterThan(0);
    // Nothing of that size is on the server: the file is hashed while it is sent, not read before.
    expect(up.events.filter(byEvent('hashing'))).toEqual([]);
    expect(up.events.at(-1)).toMatchObject({ event: 'summary', uploaded: 1, skipped: 0, failed: 0 });

    const out = join(work.path, 'downloaded.bin');
    const down = await runCli(env, ['get', '/films/big.bin', '-o', out]);
    expect(down.stderr).toBe('');
    expect(down.code).toBe(0);
    expect(down.events.find(byEvent('done'))).toMatchObject({ path: '/films/big.bin', file: out, sha256: bigSha256, bytes: BIG });
    expect(await sha256Of(out)).toBe(bigSha256);
    await expect(stat(`${out}.part`)).rejects.toThrow();
  });

  it('skips a file that is already there with the same sha256', { timeout: 120_000 }, async () => {
    const again = await runCli(env, ['upload', big, '--to', '/films']);
    expect(again.code).toBe(0);
    expect(again.events.find(byEvent('skipped'))).toMatchObject({ file: big, path: '/films/big.bin', sha256: bigSha256 });
    expect(again.events.filter(byEvent('progress'))).toEqual([]);
    expect(again.events.at(-1)).toMatchObject({ event: 'summary', uploaded: 0, skipped: 1, sent: 0 });
  });

  it('resumes an upload killed with SIGKILL: the bytes sent before the kill are not sent again', { timeout: 180_000 }, async () => {
    const first = spawnCli(env, ['upload', big, '--to', '/resumed']);
    await first.waitFor((event) => event.event === 'progress' && (event.bytes as number) > 0);
    await killHard(first.child);
    expect(first.events.find(byEvent('done'))).toBeUndefined();

    const second = await runCli(env, ['upload', big, '--to', '/resumed']);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    const resumed = second.events.find(byEvent('resumed')) as CliEvent & { offset: number };
    expect(resumed).toBeDefined();
    expect(resumed.offset).toBeGreaterThan(0);
    expect(resumed.offset).toBeLessThan(BIG);
    const done = second.events.find(byEvent('done'));
    expect(done).toMatchObject({ path: '/resumed/big.bin', sha256: bigSha256, bytes: BIG, sent: BIG - resumed.offset });
    // The first progress of the second run starts where the server was, not at zero.
    const progress = second.events.filter(byEvent('progress')) as (CliEvent & { bytes: number })[];
    expect(progress[0]!.bytes).toBeGreaterThanOrEqual(resumed.offset);
  });

  it('Ctrl-C part way: the summary counts the file as stopped with the bytes it sent, and the next run sends only the rest', { timeout: 180_000 }, async () => {
    const first = spawnCli(env, ['upload', big, '--to', '/stopped']);
    await first.waitFor((event) => event.event === 'progress' && (event.bytes as number) > 0);
    first.child.kill('SIGINT');
    const stopped = await first.result();
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toBe('nebula: interrupted: run the same command again to resume where it stopped\n');
    const summary = stopped.events.find(byEvent('summary')) as CliEvent & { sent: number };
    expect(summary).toMatchObject({ uploaded: 0, failed: 0, stopped: 1, notStarted: 0 });
    expect(summary.sent).toBeGreaterThan(0);

    const second = await runCli(env, ['upload', big, '--to', '/stopped']);
    expect(second.code).toBe(0);
    const resumed = second.events.find(byEvent('resumed')) as CliEvent & { offset: number };
    // The server has at least what the first run counted as sent (the kernel may have passed on more).
    expect(resumed.offset).toBeGreaterThanOrEqual(summary.sent);
    expect(second.events.find(byEvent('done'))).toMatchObject({ path: '/stopped/big.bin', sha256: bigSha256, sent: BIG - resumed.offset });
  });

  it('rides out a gateway that is killed mid-upload and comes back', { timeout: 180_000 }, async () => {
    const upload = spawnCli(env, ['upload', big, '--to', '/gateway-cut']);
    await upload.waitFor((event) => event.event === 'progress' && (event.bytes as number) > 0);
    await nebula.killGateway();
    await nebula.startGateway();
    const result = await upload.result();
    // On failure, say why the CLI gave up (its error events), not only that it did.
    expect({ stderr: result.stderr, code: result.code, errors: result.events.filter(byEvent('error')) }).toEqual({ stderr: '', code: 0, errors: [] });
    expect(result.events.find(byEvent('done'))).toMatchObject({ path: '/gateway-cut/big.bin', sha256: bigSha256 });
  });

  it('fails at once with the reason when the file shrinks while it is sent, against the real gateway', { timeout: 180_000 }, async () => {
    const shrinking = join(work.path, 'shrinking.bin');
    await randomFile(shrinking, BIG);
    const upload = spawnCli(env, ['upload', shrinking, '--to', '/shrunk']);
    await upload.waitFor((event) => event.event === 'progress' && (event.bytes as number) > 0);
    await truncate(shrinking, MiB);
    const result = await upload.result();
    expect(result.events.find(byEvent('done'))).toBeUndefined();
    expect(result.code).toBe(1);
    expect(result.events.filter(byEvent('error'))).toEqual([
      expect.objectContaining({ file: shrinking, message: expect.stringMatching(/shrinking\.bin is shorter than \d+ bytes: did it change during the upload\?/) }),
    ]);
    // Not retried: trying again meets the same file (a retry asks the server where it was: 'resumed').
    expect(result.events.filter(byEvent('resumed'))).toEqual([]);
    expect(result.events.find(byEvent('summary'))).toMatchObject({ failed: 1, uploaded: 0 });
  });

  it('resumes a download killed with SIGKILL from its partial file', { timeout: 180_000 }, async () => {
    const out = join(work.path, 'resumed-download.bin');
    const first = spawnCli(env, ['get', '/films/big.bin', '-o', out]);
    // Kill once some bytes are on disk.
    for (;;) {
      const size = await stat(`${out}.part`).then((info) => info.size, () => 0);
      if (size >= MiB || first.child.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await killHard(first.child);

    const second = await runCli(env, ['get', '/films/big.bin', '-o', out]);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    const resumed = second.events.find(byEvent('resumed')) as CliEvent & { offset: number };
    expect(resumed.offset).toBeGreaterThan(0);
    expect(second.events.find(byEvent('done'))).toMatchObject({ sha256: bigSha256, bytes: BIG, sent: BIG - resumed.offset });
    expect(await sha256Of(out)).toBe(bigSha256);
  });

  it('uploads a folder with its sub-folders, then lists, moves, renames and deletes', { timeout: 120_000 }, async () => {
    const holiday = join(work.path, 'holiday');
    await mkdir(join(holiday, 'day 1'), { recursive: true });
    await mkdir(join(holiday, 'day 2', 'raw'), { recursive: true });
    await writeFile(join(holiday, 'notes.txt'), 'sunny\n');
    await randomFile(join(holiday, 'day 1', 'beach.mp4'), 3 * MiB);
    await randomFile(join(holiday, 'day 2', 'raw', 'sunset.mov'), 2 * MiB);

    const up = await runCli(env, ['upload', holiday, '--to', '/trips/2026', '--concurrency', '2']);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(up.events.filter(byEvent('done')).map((e) => e.path).sort()).toEqual(['/trips/2026/holiday/day 1/beach.mp4', '/trips/2026/holiday/day 2/raw/sunset.mov', '/trips/2026/holiday/notes.txt']);

    const listed = await runCli(env, ['ls', '/trips/2026/holiday', '--json']);
    expect(listed.code).toBe(0);
    expect(listed.events.map((e) => [e.name, e.kind, e.size])).toEqual([
      ['day 1', 'folder', null],
      ['day 2', 'folder', null],
      ['notes.txt', 'file', 6],
    ]);

    expect((await runCli(env, ['mkdir', '/archive/old', '-p'])).events).toEqual([expect.objectContaining({ event: 'created', path: '/archive/old' })]);
    expect((await runCli(env, ['mkdir', '/archive/old', '-p'])).code).toBe(0);
    const exists = await runCli(env, ['mkdir', '/archive/old']);
    expect(exists.code).not.toBe(0);

    // Into an existing folder, like mv(1)...
    const into = await runCli(env, ['mv', '/trips/2026/holiday/notes.txt', '/archive']);
    expect(into.events).toEqual([expect.objectContaining({ event: 'moved', from: '/trips/2026/holiday/notes.txt', path: '/archive/notes.txt' })]);
    // ...or to a new path: a rename.
    const renamed = await runCli(env, ['mv', '/archive/notes.txt', '/archive/old/weather.txt']);
    expect(renamed.events).toEqual([expect.objectContaining({ event: 'moved', path: '/archive/old/weather.txt' })]);
    // A trailing "/" names a folder, which must exist (as with mv(1)): no rename to a file "/reels".
    const noFolder = await runCli(env, ['mv', '/archive/old/weather.txt', '/reels/']);
    expect(noFolder.code).toBe(4);
    expect(noFolder.stderr).toBe('nebula: no folder /reels to move /archive/old/weather.txt into (nebula mkdir /reels makes it; without the trailing "/", /archive/old/weather.txt is renamed to /reels)\n');
    const notAFolder = await runCli(env, ['mv', '/archive/old/weather.txt', '/archive/old/weather.txt/']);
    expect(notAFolder.code).toBe(2);
    expect((await runCli(env, ['ls', '/archive/old', '--json'])).events.map((e) => e.name)).toEqual(['weather.txt']);

    const notEmpty = await runCli(env, ['rm', '/trips/2026/holiday']);
    expect(notEmpty.code).toBe(1);
    expect(notEmpty.stderr).toBe('nebula: /trips/2026/holiday is a folder that is not empty (nebula rm -r deletes it with everything in it)\n');
    expect((await runCli(env, ['rm', '-r', '/trips/2026/holiday'])).code).toBe(0);
    expect((await runCli(env, ['rm', '/archive/old/weather.txt'])).events).toEqual([expect.objectContaining({ event: 'removed', path: '/archive/old/weather.txt' })]);

    const after = await runCli(env, ['ls', '/trips/2026', '--json']);
    expect(after.events).toEqual([]);
    const gone = await runCli(env, ['ls', '/archive/old', '--json']);
    expect(gone.events).toEqual([]);
  });

  it('lists a folder on a terminal as a table that fits it, long and CJK names included, and as a list on a phone-narrow one', { timeout: 60_000 }, async () => {
    const screens = join(work.path, 'screens');
    const long = 'GX010234 Holiday in the mountains, day two, the long walk to the lake (4K).mp4';
    await mkdir(screens);
    await writeFile(join(screens, long), 'long\n');
    await writeFile(join(screens, '旅行の動画.mp4'), 'cjk\n');
    await writeFile(join(screens, 'clip-10.mp4'), '10\n');
    await writeFile(join(screens, 'clip-2.mp4'), '2\n');
    expect((await runCli(env, ['upload', screens, '--to', '/'])).code).toBe(0);
    // Listed as the web page lists them: numbers by their value.
    expect((await runCli(env, ['ls', '/screens'])).events.map((e) => e.name)).toEqual(['clip-2.mp4', 'clip-10.mp4', long, '旅行の動画.mp4']);
    // The worker has looked at every file (none is a video it can read): the media column then
    // says "failed" on every row. While one still said "processing", the column was wider and, at
    // 60 columns, the CJK name wrapped, as a name wider than its column should.
    await vi.waitFor(
      async () => {
        const media = (await runCli(env, ['ls', '/screens'])).events.map((e) => (e.media as { status: string }).status);
        expect(media).toEqual(['failed', 'failed', 'failed', 'failed']);
      },
      { timeout: 30_000, interval: 250 },
    );

    const boxLines = (lines: string[]) => lines.filter((line) => /^[┌│├└]/.test(line));
    for (const columns of [120, 60]) {
      const lines = await runCliOnTerminal(env, ['ls', '/screens'], columns);
      const grid = boxLines(lines);
      expect(grid.length).toBeGreaterThan(6);
      // Every line of the grid as wide as the first, and none wider than the terminal.
      for (const line of grid) expect(stringWidth(line)).toBe(stringWidth(grid[0]!));
      expect(stringWidth(grid[0]!)).toBeLessThanOrEqual(columns);
      const names = grid.filter((line) => line.startsWith('│')).map((line) => line.split('│')[1]!.trim());
      expect(names.join(' ').replace(/\s+/g, ' ')).toContain(long);
      expect(names).toContain('旅行の動画.mp4');
    }
    // Wide enough for the long name: on a line of its own.
    const wide = await runCliOnTerminal(env, ['ls', '/screens'], 160);
    expect(wide.filter((line) => line.includes('GX010234'))).toEqual([expect.stringContaining(long)]);

    const phone = await runCliOnTerminal(env, ['ls', '/screens'], 40);
    expect(boxLines(phone)).toEqual([]);
    expect(phone.slice(0, 2)).toEqual(['name', '  kind · size · modified · media']);
    const cjk = phone.indexOf('旅行の動画.mp4');
    expect(phone[cjk + 1]).toMatch(/^ {2}file · 4 B · \d{4}-\d\d-\d\d \d\d:\d\d · /);
    expect(phone.join(' ')).toContain('GX010234 Holiday');
  });

  it('draws its screens on a terminal that does not say its size as on one of 80 by 24', async () => {
    expect((await runCli(env, ['mkdir', '/sizeless'])).code).toBe(0);
    // Ink laid them out 0 columns wide: one character per line.
    expect(await runCliOnTerminal(env, ['status', '/sizeless'], 0, 0)).toEqual(['no media jobs for /sizeless']);
  });

  it('says in one line why something failed, with an exit code to match', { timeout: 120_000 }, async () => {
    const unreachable = await runCli({ ...env, server: 'http://127.0.0.1:9' }, ['ls']);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toBe('nebula: cannot reach the Nebula server at http://127.0.0.1:9: ECONNREFUSED (is it running? nebula login <url>)\n');

    const missing = await runCli(env, ['get', '/no/such/file.mp4', '-o', join(work.path, 'x')]);
    expect(missing.code).toBe(4);
    expect(missing.stderr.split('\n').filter(Boolean)).toHaveLength(1);

    // A name the server refuses (a control character) fails that file, with the server's reason.
    const odd = join(work.path, 'bell\u0007.txt');
    await writeFile(odd, 'ding');
    const refused = await runCli(env, ['upload', odd]);
    expect(refused.code).toBe(1);
    expect(refused.events.find(byEvent('error'))).toMatchObject({ event: 'error', code: 'invalid_name' });

    // A different file under a name that is taken.
    const other = join(work.path, 'other', 'big.bin');
    await mkdir(join(work.path, 'other'));
    await writeFile(other, 'not the same bytes');
    const taken = await runCli(env, ['upload', other, '--to', '/films']);
    expect(taken.code).toBe(1);
    expect(taken.events.find(byEvent('error'))).toMatchObject({ code: 'already_exists' });

    // Disk full during a download: /dev/full answers every write with ENOSPC.
    const full = join(work.path, 'full.bin');
    await symlink('/dev/full', `${full}.part`);
    const diskFull = await runCli(env, ['get', '/films/big.bin', '-o', full]);
    expect(diskFull.code).toBe(1);
    expect(diskFull.stderr.split('\n').filter(Boolean)).toEqual([expect.stringContaining(`nebula: disk full while writing ${full} (`)]);

    const usage = await runCli(env, ['upload', big, '--concurrency', '0']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe('nebula: --concurrency must be a whole number from 1 to 16, got "0"\n');

    const noFile = await runCli(env, ['upload', join(work.path, 'nope.mp4')]);
    expect(noFile.code).toBe(4);
    expect(noFile.stderr).toBe(`nebula: no such file or folder: ${join(work.path, 'nope.mp4')}\n`);

    // The destination written as scp and rsync write it: nothing is uploaded, and the error says how to write it.
    const before = await runCli(env, ['ls', '/']);
    const asScp = await runCli(env, ['upload', big, '/films/']);
    expect(asScp.code).toBe(4);
    expect(asScp.stderr).toBe(
      `nebula: no such file or folder: /films/ (every argument is something to upload; to upload into /films/ on the server: nebula upload --to /films/ ${big})\n`,
    );
    expect((await runCli(env, ['ls', '/'])).stdout).toBe(before.stdout);
  });

  it('login remembers the server, and NEBULA_SERVER wins over it', async () => {
    const home = await cliHome();
    const fresh = { server: '', home };
    const login = await runCli(fresh, ['login', nebula.url], { env: { NEBULA_SERVER: '' } });
    expect(login.code).toBe(0);
    expect(JSON.parse(await readFile(join(home, 'config', 'nebula', 'config.json'), 'utf8'))).toEqual({ server: nebula.url });
    expect((await runCli(fresh, ['ls', '/films', '--json'], { env: { NEBULA_SERVER: '' } })).events.map((e) => e.name)).toEqual(['big.bin']);
    expect((await runCli(fresh, ['ls'], { env: { NEBULA_SERVER: 'http://127.0.0.1:9' } })).code).toBe(3);
    const refused = await runCli(fresh, ['login', 'http://127.0.0.1:9'], { env: { NEBULA_SERVER: '' } });
    expect(refused.code).toBe(3);
    await rm(home, { recursive: true, force: true });
  });

  it('searches names in every folder, case and accents aside, with their paths', async () => {
    expect((await runCli(env, ['mkdir', '-p', '/search/Café Trip/beach day'])).code).toBe(0);
    const found = await runCli(env, ['search', 'CAFE', 'trip', '--json']);
    expect(found.stderr).toBe('');
    expect(found.code).toBe(0);
    expect(found.events.map((e) => [e.path, e.kind])).toEqual([['/search/Café Trip', 'folder']]);
    // More results than one page of --limit: only as many as asked.
    expect((await runCli(env, ['search', 'a', '--limit', '1', '--json'])).events).toHaveLength(1);
    const blank = await runCli(env, ['search', ' ', '--json']);
    expect(blank.code).toBe(2);
    expect(blank.stderr).toBe('nebula: say what to search for, e.g. nebula search beach\n');
  });

  it('runs from its sources through tsx as it does bundled (where cli/dist cannot be written, or NEBULA_CLI_BUNDLE=0)', async () => {
    // Says on stderr, as the process exits, whether @nebula/contract's TypeScript sources were
    // loaded (through tsx's require hook) or not (the bundle holds them).
    const telling = [
      process.execPath,
      '--import',
      `data:text/javascript,${encodeURIComponent("import { createRequire } from 'node:module'; const { cache } = createRequire(process.execPath); process.on('exit', () => process.stderr.write(Object.keys(cache).some((path) => path.includes('/contract/src/')) ? 'sources' : 'bundle'));")}`,
    ];
    const bundled = await runCli(env, ['ls', '/films', '--json'], { runtime: telling });
    const sources = await runCli(env, ['ls', '/films', '--json'], { runtime: telling, env: { NEBULA_CLI_BUNDLE: '0' } });
    expect(bundled.stderr).toBe('bundle');
    expect(sources.stderr).toBe('sources');
    expect(sources.code).toBe(0);
    expect(sources.events).toEqual(bundled.events);
    expect(sources.events.map((e) => e.name)).toEqual(['big.bin']);
  });

  it('runs under Bun as it does under Node', async () => {
    const node = await runCli(env, ['ls', '/films', '--json']);
    const bun = await runCli(env, ['ls', '/films', '--json'], { runtime: [join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'bun')] });
    expect(bun.stderr).toBe('');
    expect(bun.code).toBe(0);
    expect(bun.events).toEqual(node.events);
    expect(bun.events.map((e) => e.name)).toEqual(['big.bin']);
  });
});
