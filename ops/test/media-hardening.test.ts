import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSubject, type EntryDto, type MediaDetails, type NebulaEvent } from '@nebula/contract';
import { startNebula, type RunningNebula } from '../test-support/nebula-process';
import { tempDir } from '../test-support/services';
import { tusUpload as upload } from '../test-support/tus-upload';

const exec = promisify(execFile);

/** A 1080p clip long enough that its ladder is still being encoded when the test acts. */
async function makeClip(path: string, seconds: number): Promise<string> {
  await exec('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=30:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', path,
  ]);
  return path;
}

async function json<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T;
}

/** The processes of this machine running ffmpeg on a file (its original's path is in the command line), from /proc. */
function ffmpegsOf(fileId: string): { pid: number; ppid: number }[] {
  const found: { pid: number; ppid: number }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (!cmdline[0]?.endsWith('ffmpeg') || !cmdline.some((a) => a.includes(fileId))) continue;
      // stat: pid (comm) state ppid ...; a zombie (Z) has already died.
      const fields = readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]!.split(' ');
      if (fields[0] !== 'Z') found.push({ pid: Number(name), ppid: Number(fields[1]) });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

function workFolders(workerPid: number): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith(`nebula-hls-${workerPid}-`));
}

describe('no stuck jobs, no orphans (real gateway, worker and ffmpeg processes)', () => {
  let nebula: RunningNebula;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let clip: string;
  const objects = () => join(nebula.dataDir, 'objects');

  beforeAll(async () => {
    [nebula, dir] = await Promise.all([startNebula({ env: { NEBULA_JOB_LOCK_SECONDS: '4' } }), tempDir()]);
    clip = await makeClip(join(dir.path, 'long.mp4'), 20);
  });

  afterAll(async () => {
    await nebula?.stop();
    await dir?.remove();
  });

  it('a video deleted while it transcodes: ffmpeg is killed, nothing is published after, nothing is left in storage', async () => {
    await upload(nebula.url, clip, 'deleted.mp4');
    const entry = await json<EntryDto>(`${nebula.url}/api/files/lookup?path=/deleted.mp4`);
    const renditions = join(objects(), 'hls', entry.id);
    // Segments are being published while ffmpeg still runs.
    await expect.poll(() => existsSync(renditions) && ffmpegsOf(entry.id).length > 0, { timeout: 60_000, interval: 100 }).toBe(true);

    expect((await fetch(`${nebula.url}/api/files/${entry.id}`, { method: 'DELETE' })).status).toBeLessThan(300);
    await expect.poll(() => ffmpegsOf(entry.id), { timeout: 20_000, interval: 100 }).toEqual([]);
    await expect.poll(() => nebula.output(), { timeout: 20_000 }).toContain('deleted.mp4: the file was deleted during the transcode');
    // A moment more, for anything that would still be published late.
    await new Promise((r) => setTimeout(r, 2000));
    // (the fs driver may leave empty folders; no object is in them)
    expect(filesUnder(renditions)).toEqual([]);
    expect(existsSync(join(objects(), 'posters', `${entry.id}.jpg`))).toBe(false);
    expect(existsSync(join(objects(), 'originals', entry.id))).toBe(false);
    expect((await fetch(`${nebula.url}/hls/${entry.id}/master.m3u8`)).status).toBe(404);
    const events = await json<NebulaEvent[]>(`${nebula.url}/api/events?subject=${fileSubject(entry.id)}&limit=1000`);
    expect(events.map((e) => e.type)).not.toContain('media.ready');
  }, 120_000);

  it('a video whose original is missing fails with the reason, once, instead of staying processing', async () => {
    await nebula.killWorker();
    await upload(nebula.url, clip, 'lost-original.mp4');
    const entry = await json<EntryDto>(`${nebula.url}/api/files/lookup?path=/lost-original.mp4`);
    rmSync(join(objects(), 'originals', entry.id));
    await nebula.startWorker();
    await expect.poll(async () => (await json<MediaDetails>(`${nebula.url}/api/files/${entry.id}/media`)).status, { timeout: 60_000, interval: 250 }).toBe('failed');
    const media = await json<MediaDetails>(`${nebula.url}/api/files/${entry.id}/media`);
    const reason = `the original of "lost-original.mp4" is missing from object storage (originals/${entry.id}): it cannot be transcoded; upload the file again`;
    expect(media.error).toBe(reason);
    // Lost bytes do not come back: one attempt, which says what happened.
    expect(media.attempts).toMatchObject([{ attempt: 1, status: 'failed', error: reason }]);
  });

  it('kill -9 of the worker takes its ffmpeg with it, and the next worker removes the dead one\'s work folder', async () => {
    await upload(nebula.url, clip, 'orphan.mp4');
    const entry = await json<EntryDto>(`${nebula.url}/api/files/lookup?path=/orphan.mp4`);
    await expect.poll(() => ffmpegsOf(entry.id).length, { timeout: 60_000, interval: 100 }).toBe(1);
    const [ffmpeg] = ffmpegsOf(entry.id);
    const workerPid = ffmpeg!.ppid;
    expect(workFolders(workerPid)).toHaveLength(1);

    await nebula.killWorker();
    await expect.poll(() => ffmpegsOf(entry.id).filter((p) => p.pid === ffmpeg!.pid), { timeout: 10_000, interval: 100 }).toEqual([]);
    expect(workFolders(workerPid)).toHaveLength(1);

    await nebula.startWorker();
    expect(workFolders(workerPid)).toEqual([]);
    // (That the job is then picked up again and finishes: media-pipeline.test.ts.)
  });
});
