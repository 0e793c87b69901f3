// nebula status, events, replay and play against the real gateway and worker, with a short video
// that ffmpeg generates (lavfi), transcoded for real.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../ops/embedded/processes';
import { startNebula, type RunningNebula } from '../../ops/test-support/nebula-process';
import { makeRandomFile } from '../../ops/test-support/random-file';
import { tempDir } from '../../ops/test-support/services';
import { byEvent, cliHome, killHard, runCli, spawnCli, type CliEnvironment, type CliEvent } from './cli-process';

const run = promisify(execFile);
const CLIP = '/clips/clip.mp4';

describe('nebula status, events, replay and play (real gateway, worker and ffmpeg)', () => {
  let nebula: RunningNebula;
  let work: { path: string; remove: () => Promise<void> };
  let env: CliEnvironment;
  let clip: string;

  const jobsOf = (events: CliEvent[], path: string) => events.filter((e) => e.event === 'job' && e.path === path);
  /** The id of the upload.completed event of a file, read from the log rather than kept from another test. */
  const uploadEventOf = async (path: string) => {
    const uploads = await runCli(env, ['events', '--type', 'upload.completed', '--limit', '1000']);
    const found = uploads.events.find((e) => (e.data as { path?: string }).path === path);
    expect(found, `an upload.completed event for ${path}`).toBeDefined();
    return found!.id as string;
  };
  /** Uploads files of random bytes named like videos: each gets a media job that fails in ffprobe. */
  const uploadBroken = async (folder: string, names: string[]) => {
    const files = [];
    for (const name of names) {
      const file = join(work.path, `${folder.replaceAll('/', '_')}-${name}`);
      await makeRandomFile(file, 64 * 1024);
      files.push(file);
    }
    const up = await runCli(env, ['upload', ...files, '--to', folder]);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    return files.map((file) => `${folder}/${file.slice(file.lastIndexOf('/') + 1)}`);
  };

  beforeAll(async () => {
    [nebula, work] = await Promise.all([startNebula(), tempDir('nebula-cli-media-')]);
    env = { server: nebula.url, home: await cliHome() };
    clip = join(work.path, 'clip.mp4');
    // 2 s of a test picture with a tone: tiny, but a real H.264/AAC file.
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=2', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip]);
  }, 180_000);

  afterAll(async () => {
    await nebula?.stop();
    await work?.remove();
    if (env) await rm(env.home, { recursive: true, force: true });
  });

  it('status --watch follows a job live from queued to ready', { timeout: 120_000 }, async () => {
    const watch = spawnCli(env, ['status', '--watch']);
    await watch.waitFor(byEvent('watching'));
    const up = await runCli(env, ['upload', clip, '--to', '/clips']);
    expect(up.code).toBe(0);
    await watch.waitFor((e) => e.event === 'job' && e.path === CLIP && e.status === 'ready');
    // Without a path the watch has no end: Ctrl-C ends it, and the exit code says so.
    watch.child.kill('SIGINT');
    const result = await watch.result();
    expect(result.stderr).toBe('nebula: interrupted\n');
    expect(result.code).toBe(130);

    const seen = jobsOf(result.events, CLIP);
    const order = [...new Set(seen.map((e) => e.status))];
    expect(order).toEqual(['queued', 'processing', 'ready']);
    const progress = seen.filter((e) => e.status === 'processing' && typeof e.percent === 'number' && (e.percent as number) > 0);
    expect(progress.length).toBeGreaterThan(0);
    expect(seen.at(-1)).toMatchObject({ status: 'ready', percent: 100, playable: true, error: null });
  });

  it('status lists the job; with a path and --watch it ends when the job has', { timeout: 60_000 }, async () => {
    const all = await runCli(env, ['status']);
    expect(all.code).toBe(0);
    // Which node ran it: the worker's host name (NEBULA_NODE_NAME unset), as `nebula nodes` lists it.
    const nodes = await runCli(env, ['nodes']);
    expect(nodes.code).toBe(0);
    const node = nodes.events.filter(byEvent('node')) as unknown as { name: string }[];
    expect(node).toEqual([expect.objectContaining({ version: '0.1.0', jobs: [], capabilities: expect.objectContaining({ software: true, hardware: null }) })]);
    expect(jobsOf(all.events, CLIP)).toEqual([expect.objectContaining({ status: 'ready', attempt: 1, node: node[0]!.name })]);

    const one = await runCli(env, ['status', CLIP, '--watch']);
    expect(one.stderr).toBe('');
    expect(one.code).toBe(0);
    expect(jobsOf(one.events, CLIP).at(-1)).toMatchObject({ status: 'ready' });

    const elsewhere = await runCli(env, ['status', '/clips/none.mp4']);
    expect(elsewhere.code).toBe(4);
  });

  it('events lists the log, newest last, by type', { timeout: 60_000 }, async () => {
    const uploads = await runCli(env, ['events', '--type', 'upload.completed']);
    expect(uploads.code).toBe(0);
    expect(uploads.events).toEqual([expect.objectContaining({ type: 'upload.completed', data: expect.objectContaining({ path: CLIP }) })]);

    const last3 = await runCli(env, ['events', '--limit', '3']);
    expect(last3.events).toHaveLength(3);
    const ids = last3.events.map((e) => BigInt(e.id as string));
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));
    expect(last3.events.at(-1)).toMatchObject({ type: 'media.ready' });

    const bad = await runCli(env, ['events', '--type', 'media.done']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^nebula: unknown event type "media.done"; one of upload.completed, /);
  });

  it('replay runs the pipeline again, and events --follow sees it through a gateway restart', { timeout: 120_000 }, async () => {
    const uploadEventId = await uploadEventOf(CLIP);
    const follow = spawnCli(env, ['events', '--follow', '--limit', '1']);
    const listed = await follow.waitFor(() => true);

    const replayed = await runCli(env, ['replay', uploadEventId]);
    expect(replayed.stderr).toBe('');
    expect(replayed.code).toBe(0);
    expect(replayed.events).toEqual([{ event: 'replayed', replayOf: uploadEventId, queued: expect.objectContaining({ type: 'media.queued', data: expect.objectContaining({ path: CLIP, replayOf: uploadEventId }) }) }]);
    // The worker goes on while the gateway is away; the follower resumes with Last-Event-ID.
    await nebula.killGateway();
    await nebula.startGateway();
    await follow.waitFor((e) => e.type === 'media.ready' && BigInt(e.id as string) > BigInt(listed.id as string));
    follow.child.kill('SIGINT');
    const followed = await follow.result();
    expect(followed.code).toBe(130);
    expect(followed.stderr).toMatch(/^nebula: connection lost \(.*\); reconnecting…$/m);
    expect(followed.stderr).toMatch(/^nebula: interrupted$/m);
    expect(followed.events.at(-1)).toEqual({ event: 'error', code: 'interrupted', message: 'interrupted' });

    // Exactly the log, nothing lost or repeated across the reconnect.
    const printed = followed.events.slice(0, -1);
    const log = await runCli(env, ['events', '--limit', '1000']);
    const from = log.events.findIndex((e) => e.id === listed.id);
    const expected = log.events.slice(from, from + printed.length).map((e) => e.id);
    expect(printed.map((e) => e.id)).toEqual(expected);
    expect(printed.map((e) => e.type)).toEqual(expect.arrayContaining(['media.queued', 'media.started', 'media.ready']));

    const status = await runCli(env, ['status', CLIP]);
    expect(jobsOf(status.events, CLIP)).toEqual([expect.objectContaining({ status: 'ready' })]);
  });

  it('replay explains unknown ids and events that cannot be replayed', async () => {
    const unknown = await runCli(env, ['replay', '999999']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toBe('nebula: no event 999999 (nebula events lists them)\n');
    // Beyond PostgreSQL's bigint: no such event either, not a server error.
    const huge = await runCli(env, ['replay', '99999999999999999999']);
    expect(huge.stderr).toBe('nebula: no event 99999999999999999999 (nebula events lists them)\n');
    expect(huge.code).toBe(4);

    const ready = (await runCli(env, ['events', '--type', 'media.ready', '--limit', '1'])).events[0]!;
    const refused = await runCli(env, ['replay', ready.id as string]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe("nebula: media.ready events cannot be replayed; upload.completed can (it re-runs the file's pipeline)\n");

    const usage = await runCli(env, ['replay', 'latest']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe('nebula: not an event id: "latest" (a whole number, as nebula events shows)\n');
  });

  it('play prints URLs that play, and --open starts the player it finds', { timeout: 60_000 }, async () => {
    const played = await runCli(env, ['play', CLIP]);
    expect(played.code).toBe(0);
    const [info] = played.events;
    expect(info).toMatchObject({ event: 'play', path: CLIP, status: 'ready' });
    expect(info!.hls).toBe(`${nebula.url}/hls/${info!.id as string}/master.m3u8`);
    expect(info!.original).toBe(`${nebula.url}/api/files/${info!.id as string}/content`);
    const master = await fetch(info!.hls as string);
    expect(master.status).toBe(200);
    expect(await master.text()).toMatch(/^#EXTM3U/);
    const range = await fetch(info!.original as string, { headers: { range: 'bytes=0-9' } });
    expect(range.status).toBe(206);
    expect((await range.arrayBuffer()).byteLength).toBe(10);

    // TEST STAND-IN for mpv (no display here): a script on PATH that answers --version as an mpv
    // built with the given FFmpeg would, and records what it was given to play.
    const bin = join(work.path, 'bin');
    await mkdir(bin, { recursive: true });
    const called = join(work.path, 'mpv-args');
    const standInMpv = (ffmpegVersion: string) =>
      writeFile(join(bin, 'mpv'), `#!/bin/sh\nif [ "$1" = --version ]; then printf 'mpv 0.35.1\\nFFmpeg version: ${ffmpegVersion}\\n'; exit 0; fi\nprintf '%s\\n' "$@" > '${called}'\n`, { mode: 0o755 });

    // Debian 12's mpv is built with FFmpeg 5.1, whose HLS demuxer cannot start or seek in fMP4
    // segments: it gets the original, and the start time.
    await standInMpv('5.1.6-0+deb12u1');
    const opened = await runCli(env, ['play', CLIP, '--open', '--start', '0:01'], { env: { PATH: bin } });
    expect(opened.stderr).toBe('');
    expect(opened.code).toBe(0);
    expect(opened.events.find(byEvent('open'))).toEqual({
      event: 'open',
      player: join(bin, 'mpv'),
      url: info!.original,
      source: 'original',
      startSeconds: 1,
      reason: 'this mpv is built with FFmpeg 5, which cannot seek in fMP4 HLS (FFmpeg 8 can): the original seeks by byte range',
    });
    expect(await readFile(called, 'utf8')).toBe(`--start=1\n${info!.original as string}\n`);
    // What that mpv does with it, done by the same FFmpeg 5.1 libraries: start 1 s in, and decode.
    const seeked = await run('ffmpeg', ['-v', 'error', '-ss', '1', '-i', info!.original as string, '-map', '0:v', '-f', 'framecrc', '-']);
    expect(seeked.stdout.split('\n').filter((line) => /^0,/.test(line)).length).toBeGreaterThanOrEqual(20);

    await standInMpv('8.0');
    const modern = await runCli(env, ['play', CLIP, '--open'], { env: { PATH: bin } });
    expect(modern.events.find(byEvent('open'))).toEqual({ event: 'open', player: join(bin, 'mpv'), url: info!.hls, source: 'hls' });
    expect(await readFile(called, 'utf8')).toBe(`${info!.hls as string}\n`);

    const stray = await runCli(env, ['play', CLIP, '--start', '5']);
    expect(stray.stderr).toBe('nebula: --start goes with --open (it tells the player where to begin)\n');
    expect(stray.code).toBe(2);
    const notATime = await runCli(env, ['play', CLIP, '--open', '--start', 'soon'], { env: { PATH: bin } });
    expect(notATime.stderr).toBe('nebula: --start: not a start time: "soon" (seconds, m:ss or h:mm:ss, e.g. 90 or 1:30)\n');
    expect(notATime.code).toBe(2);

    // mpv exits 4 when the user quits it with Ctrl+C: a normal end, not a failure.
    await writeFile(join(bin, 'mpv'), '#!/bin/sh\nexit 4\n');
    const quit = await runCli(env, ['play', CLIP, '--open'], { env: { PATH: bin } });
    expect(quit.stderr).toBe('');
    expect(quit.code).toBe(0);
    await writeFile(join(bin, 'mpv'), '#!/bin/sh\nexit 2\n');
    const broken = await runCli(env, ['play', CLIP, '--open'], { env: { PATH: bin } });
    expect(broken.stderr).toBe('nebula: mpv exited with code 2\n');
    expect(broken.code).toBe(1);

    const empty = join(work.path, 'empty-bin');
    await mkdir(empty);
    const none = await runCli(env, ['play', CLIP, '--open'], { env: { PATH: empty } });
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('nebula: neither mpv nor vlc is installed (not found on PATH); open one of the URLs above in any player, or install one (e.g. apt-get install mpv)\n');
    expect(none.events.find(byEvent('play'))).toMatchObject({ hls: info!.hls });
  });

  it('lists and follows under Bun as under Node', { timeout: 60_000 }, async () => {
    const bun = [join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'bun')];
    const [nodeStatus, bunStatus] = await Promise.all([runCli(env, ['status']), runCli(env, ['status'], { runtime: bun })]);
    expect(bunStatus.stderr).toBe('');
    expect(jobsOf(nodeStatus.events, CLIP)).toEqual([expect.objectContaining({ status: 'ready' })]);
    expect(bunStatus.events).toEqual(nodeStatus.events);

    const uploadEventId = await uploadEventOf(CLIP);
    const follow = spawnCli(env, ['events', '--follow', '--limit', '1'], { runtime: bun });
    const listed = await follow.waitFor(() => true);
    expect((await runCli(env, ['replay', uploadEventId])).code).toBe(0);
    await follow.waitFor((e) => e.type === 'media.ready' && BigInt(e.id as string) > BigInt(listed.id as string));
    follow.child.kill('SIGINT');
    expect((await follow.result()).code).toBe(130);
  });

  it('status <file> --watch exits 1 with the reason when its job fails', { timeout: 60_000 }, async () => {
    const [broken] = await uploadBroken('/broken', ['x.mp4']);
    const watched = await runCli(env, ['status', broken!, '--watch']);
    expect(watched.stderr).toMatch(new RegExp(`^nebula: the media job failed: ${broken}: "[^"]*x\\.mp4" is not a video ffmpeg can read .*\\n$`));
    expect(watched.code).toBe(1);
    expect(jobsOf(watched.events, broken!).at(-1)).toMatchObject({ status: 'failed' });
    // The original stays: the job failed, the file did not.
    expect((await runCli(env, ['ls', '/broken'])).events).toEqual([expect.objectContaining({ path: broken, status: 'ready' })]);
  });

  it('status <folder> lists the jobs under it, however many newer ones there are elsewhere', { timeout: 60_000 }, async () => {
    const [older] = await uploadBroken('/archive/2025', ['old.mp4']);
    const newer = await uploadBroken('/elsewhere', ['a.mp4', 'b.mp4']);
    expect((await runCli(env, ['status', '/archive', '--watch'])).code).toBe(1);
    expect((await runCli(env, ['status', '/elsewhere', '--watch'])).code).toBe(1);

    // Only one finished job per listing: the newest of the whole server would be one of /elsewhere.
    const archive = await runCli(env, ['status', '/archive', '--recent', '1']);
    expect(archive.stderr).toBe('');
    expect(archive.events).toEqual([expect.objectContaining({ event: 'job', path: older, status: 'failed' })]);
    const elsewhere = await runCli(env, ['status', '/elsewhere']);
    expect(elsewhere.events.map((e) => e.path).sort()).toEqual([...newer].sort());

    const api = await fetch(`${nebula.url}/api/media/jobs?path=${encodeURIComponent('/archive')}`);
    expect(((await api.json()) as { path: string }[]).map((job) => job.path)).toEqual([older]);
    const missing = await fetch(`${nebula.url}/api/media/jobs?path=/no/such/folder`);
    expect(missing.status).toBe(404);
  });

  it('lists at most ?limit= queued jobs and counts the others', { timeout: 120_000 }, async () => {
    // With no worker running, the jobs stay queued.
    await nebula.killWorker();
    try {
      const queued = await uploadBroken('/waiting', ['1.mp4', '2.mp4', '3.mp4']);
      const limited = await fetch(`${nebula.url}/api/media/jobs?path=/waiting&limit=2`);
      expect(limited.status).toBe(200);
      expect(limited.headers.get('x-more-jobs')).toBe('1');
      const jobs = (await limited.json()) as { path: string; status: string }[];
      expect(jobs).toHaveLength(2);
      expect(jobs.every((job) => job.status === 'queued' && queued.includes(job.path))).toBe(true);
      expect((await fetch(`${nebula.url}/api/media/jobs?limit=0`)).status).toBe(400);

      const all = await runCli(env, ['status', '/waiting']);
      expect(jobsOf(all.events, queued[0]!)).toEqual([expect.objectContaining({ status: 'queued' })]);
      expect(all.events.filter(byEvent('job'))).toHaveLength(3);
      expect(all.events.find(byEvent('more'))).toBeUndefined();
    } finally {
      await nebula.startWorker();
    }
    expect((await runCli(env, ['status', '/waiting', '--watch'])).code).toBe(1);
  });

  it('status --watch sees the end of a job that ended while the gateway was down, before any event came', { timeout: 120_000 }, async () => {
    await nebula.killWorker();
    const [file] = await uploadBroken('/gap', ['gap.mp4']);
    const watch = spawnCli(env, ['status', file!, '--watch']);
    try {
      await watch.waitFor(byEvent('watching'));
      expect(jobsOf(watch.events, file!)).toEqual([expect.objectContaining({ status: 'queued' })]);

      await nebula.killGateway();
      // The worker works without the gateway: the job starts and fails while nobody streams it.
      const worker = nebula.startWorker();
      await waitFor('the worker to fail the job', async () => nebula.output().includes('gap.mp4: attempt 1 failed'), 60_000, 100);
      await nebula.startGateway();
      await worker;

      const result = await watch.result();
      expect(result.stderr).toMatch(/^nebula: the media job failed: \/gap\/[^:]*gap\.mp4: /);
      expect(result.code).toBe(1);
      expect(result.events.find(byEvent('reconnecting'))).toBeDefined();
    } finally {
      if (watch.child.exitCode === null) await killHard(watch.child);
    }
  });
});
