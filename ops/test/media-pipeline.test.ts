import { execFile } from 'node:child_process';
import { statSync, writeFileSync, truncateSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSubject, type EntryDto, type MediaDetails, type NebulaEvent } from '@nebula/contract';
import { startNebula, type RunningNebula } from '../test-support/nebula-process';
import { tempDir } from '../test-support/services';
import { tusUpload as upload } from '../test-support/tus-upload';

const exec = promisify(execFile);

/** Fixtures are made here with ffmpeg's lavfi sources, never committed. */
async function makeVideo(path: string, args: string[]): Promise<string> {
  await exec('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args, path]);
  return path;
}

const clip = (size: string, seconds = 2, extra: string[] = []) => [
  '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30:duration=${seconds}`,
  '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`,
  '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', ...extra,
];

async function lookup(url: string, name: string): Promise<EntryDto> {
  return (await (await fetch(`${url}/api/files/lookup?path=/${encodeURIComponent(name)}`)).json()) as EntryDto;
}

async function waitForMedia(url: string, id: string, states: string[], timeout = 120_000): Promise<MediaDetails> {
  let details: MediaDetails | undefined;
  await expect.poll(async () => {
    details = (await (await fetch(`${url}/api/files/${id}/media`)).json()) as MediaDetails;
    return states.includes(details.status);
  }, { timeout, interval: 250 }).toBe(true);
  return details!;
}

async function ffprobe(target: string): Promise<{ streams: Record<string, unknown>[]; format: { duration?: string } }> {
  const { stdout } = await exec('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', target]);
  return JSON.parse(stdout);
}

function resolutions(master: string): string[] {
  return [...master.matchAll(/RESOLUTION=(\d+x\d+)/g)].map((m) => m[1]!);
}

describe('the media pipeline, end to end (real gateway, worker, ffmpeg)', () => {
  let nebula: RunningNebula;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    // A short job lock, so the SIGKILL test sees the stalled job picked up again within seconds.
    [nebula, dir] = await Promise.all([startNebula({ env: { NEBULA_JOB_LOCK_SECONDS: '4' } }), tempDir()]);
  });

  afterAll(async () => {
    await nebula?.stop();
    await dir?.remove();
  });

  it('turns an upload into a playable HLS ladder, with progress on the event stream', async () => {
    const events: NebulaEvent[] = [];
    const controller = new AbortController();
    void (async () => {
      const res = await fetch(`${nebula.url}/api/events/stream`, { signal: controller.signal });
      let buffer = '';
      for await (const chunk of res.body!) {
        buffer += Buffer.from(chunk).toString();
        for (const m of buffer.matchAll(/^data: (.*)$/gm)) events.push(JSON.parse(m[1]!) as NebulaEvent);
        buffer = buffer.slice(buffer.lastIndexOf('\n\n') + 2);
      }
    })().catch(() => undefined);

    // A keyframe a second, as phones record: its 720p is already the top rung, so it is copied, not encoded.
    const file = await makeVideo(join(dir.path, 'talk.mp4'), clip('1280x720', 4, ['-g', '30']));
    await upload(nebula.url, file, 'talk.mp4');
    const entry = await lookup(nebula.url, 'talk.mp4');
    const media = await waitForMedia(nebula.url, entry.id, ['ready', 'failed']);
    expect(media).toMatchObject({
      status: 'ready', error: null, hls: `/hls/${entry.id}/master.m3u8`, poster: `/api/files/${entry.id}/poster.jpg`, storyboard: `/hls/${entry.id}/storyboard.vtt`,
    });
    expect(media.attempts).toMatchObject([{ attempt: 1, status: 'succeeded', accelPath: 'software', steps: [{ path: 'software' }] }]);
    expect(media.probe).toMatchObject({ video: { width: 1280, height: 720 } });

    const types = () => events.filter((e) => e.subject === fileSubject(entry.id)).map((e) => e.type);
    await expect.poll(types, { timeout: 10_000 }).toContain('media.ready');
    expect(types()).toEqual(expect.arrayContaining(['upload.completed', 'media.queued', 'media.started', 'media.progress', 'media.playable', 'media.ready']));
    expect(types().indexOf('media.playable')).toBeLessThan(types().indexOf('media.ready'));
    expect(events.find((e) => e.type === 'media.ready' && e.subject === fileSubject(entry.id))!.data).toMatchObject({ topRung: 'copied', storyboard: `/hls/${entry.id}/storyboard.vtt` });
    const progress = events.filter((e) => e.type === 'media.progress' && e.subject === fileSubject(entry.id)).at(-1)!;
    expect(progress.data).toMatchObject({ percent: 100, accelPath: 'software' });
    controller.abort();

    // Read back over HTTP from the gateway, as a player would.
    const masterUrl = `${nebula.url}${media.hls}`;
    const master = await (await fetch(masterUrl)).text();
    expect(resolutions(master)).toEqual(['1280x720', '854x480', '640x360']);
    for (const attr of ['BANDWIDTH=', 'AVERAGE-BANDWIDTH=', 'CODECS="avc1.', 'FRAME-RATE=30']) expect(master).toContain(attr);
    expect(master).toContain('#EXT-X-INDEPENDENT-SEGMENTS');
    const variants = master.split('\n').filter((l) => l && !l.startsWith('#'));
    for (const variant of variants) {
      const playlist = await (await fetch(new URL(variant, masterUrl))).text();
      // Still the EVENT playlist players polled while it grew, ended (RFC 8216 §6.2.1 allows only appending).
      expect(playlist).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
      expect(playlist).toContain('#EXT-X-ENDLIST');
      const probe = await ffprobe(new URL(variant, masterUrl).toString());
      expect(Math.abs(Number(probe.format.duration) - 4)).toBeLessThan(0.5);
      expect(probe.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    }
    // Seek previews, served beside the ladder: the WebVTT track and the sprite sheet its cues point into.
    const track = await fetch(`${nebula.url}${media.storyboard}`);
    expect(track.headers.get('content-type')).toBe('text/vtt; charset=utf-8');
    const sheet = /^(\S+\.jpg)#xywh=/m.exec(await track.text())![1]!;
    const sprite = await fetch(new URL(sheet, `${nebula.url}${media.storyboard}`));
    expect([sprite.status, sprite.headers.get('content-type')]).toEqual([200, 'image/jpeg']);
    const poster = await fetch(`${nebula.url}${media.poster}`);
    expect(poster.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await poster.arrayBuffer()).subarray(0, 2).toString('hex')).toBe('ffd8');
  });

  it('keeps portrait video upright and handles no audio', async () => {
    const file = await makeVideo(join(dir.path, 'phone.mp4'), ['-f', 'lavfi', '-i', 'testsrc2=size=1080x1920:rate=30:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']);
    await upload(nebula.url, file, 'phone.mp4');
    const entry = await lookup(nebula.url, 'phone.mp4');
    const media = await waitForMedia(nebula.url, entry.id, ['ready', 'failed']);
    expect(media.status).toBe('ready');
    const master = await (await fetch(`${nebula.url}${media.hls}`)).text();
    expect(resolutions(master)).toEqual(['1080x1920', '720x1280', '480x854', '360x640']);
    expect(master).not.toContain('mp4a');
  });

  it('tone-maps 10-bit HLG HEVC to 8-bit BT.709 H.264', async () => {
    const file = await makeVideo(join(dir.path, 'hdr.mp4'), [
      '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30:duration=2',
      '-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p10le', '-x265-params', 'log-level=error',
      '-color_primaries', 'bt2020', '-color_trc', 'arib-std-b67', '-colorspace', 'bt2020nc', '-tag:v', 'hvc1',
    ]);
    await upload(nebula.url, file, 'hdr.mp4');
    const entry = await lookup(nebula.url, 'hdr.mp4');
    const media = await waitForMedia(nebula.url, entry.id, ['ready', 'failed']);
    expect(media.status).toBe('ready');
    const masterUrl = `${nebula.url}${media.hls}`;
    const variant = (await (await fetch(masterUrl)).text()).split('\n').find((l) => l && !l.startsWith('#'))!;
    const [video] = (await ffprobe(new URL(variant, masterUrl).toString())).streams;
    expect(video).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p' });
    expect(video!.color_transfer).not.toBe('arib-std-b67');
  });

  it('fails bad media with the reason in words, and the original stays downloadable', async () => {
    const notVideo = join(dir.path, 'notes.mp4');
    writeFileSync(notVideo, 'these are my notes, not a video\n'.repeat(100));
    const empty = join(dir.path, 'empty.mp4');
    writeFileSync(empty, '');
    const truncated = join(dir.path, 'cut.mp4');
    copyFileSync(join(dir.path, 'talk.mp4'), truncated);
    truncateSync(truncated, Math.floor(statSync(truncated).size / 3));

    for (const [path, name, reason] of [
      [notVideo, 'notes.mp4', /not a video ffmpeg can read/],
      [empty, 'empty.mp4', /is empty \(0 bytes\)/],
      [truncated, 'cut.mp4', /cut short|not a video ffmpeg can read|no video or audio stream/],
    ] as const) {
      await upload(nebula.url, path, name);
      const entry = await lookup(nebula.url, name);
      const media = await waitForMedia(nebula.url, entry.id, ['ready', 'failed']);
      expect(media.status, name).toBe('failed');
      expect(media.error).toMatch(reason);
      expect(media.attempts).toHaveLength(1); // bad media is not retried
      const original = await fetch(`${nebula.url}/api/files/${entry.id}/content`);
      expect(original.status).toBe(200);
      expect(Buffer.from(await original.arrayBuffer()).length).toBe(statSync(path).size);
    }
  });

  it('replays upload.completed: the pipeline runs again and replaces the previous output', async () => {
    const entry = await lookup(nebula.url, 'talk.mp4');
    const before = await (await fetch(`${nebula.url}/hls/${entry.id}/master.m3u8`)).text();
    const [completed] = (await (await fetch(`${nebula.url}/api/events?type=upload.completed&subject=${fileSubject(entry.id)}`)).json()) as NebulaEvent[];
    expect((await fetch(`${nebula.url}/api/events/${completed!.id}/replay`, { method: 'POST', headers: { 'content-type': 'application/json' } })).status).toBe(202);
    await expect.poll(async () => ((await (await fetch(`${nebula.url}/api/files/${entry.id}/media`)).json()) as MediaDetails).attempts.length, { timeout: 60_000 }).toBe(2);
    const media = await waitForMedia(nebula.url, entry.id, ['ready', 'failed']);
    expect(media.attempts.map((a) => a.status)).toEqual(['succeeded', 'succeeded']);
    const after = await (await fetch(`${nebula.url}/hls/${entry.id}/master.m3u8`)).text();
    expect(after).not.toBe(before);
    const oldVariant = before.split('\n').find((l) => l && !l.startsWith('#'))!;
    expect((await fetch(`${nebula.url}/hls/${entry.id}/${oldVariant}`)).status).toBe(404);
  });

  // Its own waits add up to more than the default 60 s when the machine is busy (a 1080p encode twice).
  it('finishes a job whose worker was killed with SIGKILL mid-encode', { timeout: 240_000 }, async () => {
    const file = await makeVideo(join(dir.path, 'long.mp4'), clip('1920x1080', 12));
    await upload(nebula.url, file, 'long.mp4');
    const entry = await lookup(nebula.url, 'long.mp4');
    await waitForMedia(nebula.url, entry.id, ['processing'], 30_000);
    await nebula.killWorker();
    await nebula.startWorker();
    const media = await waitForMedia(nebula.url, entry.id, ['ready', 'failed'], 180_000);
    expect(media.status).toBe('ready');
    expect(media.attempts.at(0)).toMatchObject({ status: 'failed', error: 'the worker stopped during this attempt' });
    expect(media.attempts.at(-1)).toMatchObject({ status: 'succeeded', accelPath: 'software' });
  });
});
