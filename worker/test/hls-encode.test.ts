import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccelPath } from '@nebula/contract';
import { tempDir } from '../../ops/test-support/services';
import { fallbackOrder, hlsCommand, walkFallback } from '../src/media/ffmpeg/fallback';
import type { HlsJob } from '../src/media/ffmpeg/hls-command-builder';
import { posterArgs, posterRung, posterSeconds } from '../src/media/ffmpeg/poster';
import { SoftwareBuilder } from '../src/media/ffmpeg/software.builder';
import { testEncodeArgs } from '../src/media/ffmpeg/test-encode';
import { completeMasterPlaylist, finalizeVariantPlaylist, hlsLayout, segmentFileAt } from '../src/media/hls-playlists';
import { planLadder } from '../src/media/ladder';
import { parseProbe, probeArgs, type MediaProbe } from '../src/media/probe';
import { ProgressReader, type EncodeProgress } from '../src/media/progress';

/** Runs a program to the end; never throws for a non-zero exit. */
function run(program: string, args: string[], onStdout?: (chunk: string) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      onStdout?.(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function ffmpeg(args: string[]): Promise<void> {
  const result = await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
  if (result.code !== 0) throw new Error(`ffmpeg failed: ${result.stderr}`);
}

async function probe(path: string): Promise<MediaProbe> {
  const result = await run('ffprobe', probeArgs(path));
  return parseProbe(result.stdout, path);
}

/** ffprobe's view of a playlist, read through the HLS demuxer the way a client reads it. */
async function probePlaylist(path: string): Promise<{ duration: number; stream: Record<string, string | number> }> {
  const result = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '-select_streams', 'v:0', path]);
  const json = JSON.parse(result.stdout) as { format: { duration: string }; streams: Record<string, string | number>[] };
  return { duration: Number(json.format.duration), stream: json.streams[0]! };
}

/** Cuts the poster the way the worker does: from the rung posterRung picks, at posterSeconds. */
async function cutPoster(job: HlsJob, output: string): Promise<void> {
  const rung = posterRung(job.ladder, job.probe).name;
  const playlist = await readFile(join(job.outputDir, hlsLayout.variantPlaylist(rung)), 'utf8');
  const source = segmentFileAt(job.outputDir, rung, playlist, posterSeconds(job.probe.durationSeconds))!;
  const result = await run('ffmpeg', posterArgs(source, output, job.probe));
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
}

/** PSNR (dB) of a JPEG against the source's frame at `seconds`, at the JPEG's size. */
async function psnrAt(image: string, source: string, seconds: number, size: string): Promise<number> {
  const result = await run('ffmpeg', ['-hide_banner', '-i', image, '-ss', String(seconds), '-i', source, '-frames:v', '1', '-lavfi', `[1:v]scale=${size}[ref];[0:v][ref]psnr`, '-f', 'null', '-']);
  return Number(/average:([\d.]+)/.exec(result.stderr)?.[1] ?? Number.NaN);
}

/** Runs one step of a fallback order for real; a failure carries ffmpeg's own words. */
async function encode(path: AccelPath, job: HlsJob): Promise<EncodeProgress[]> {
  const reader = new ProgressReader(job.probe.durationSeconds);
  const reports: EncodeProgress[] = [];
  const { args } = path === 'software' ? new SoftwareBuilder({ x264Preset: 'ultrafast' }).command(job) : hlsCommand(path, job);
  const result = await run('ffmpeg', args, (chunk) => reports.push(...reader.push(chunk)));
  if (result.code !== 0) throw new Error(`${path}: ${result.stderr.trim()}`);
  return reports;
}

describe('an HLS ladder encoded for real with the software builder', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let sdr: MediaProbe;
  let hlg: MediaProbe;

  beforeAll(async () => {
    dir = await tempDir('nebula-hls-');
    await Promise.all([
      ffmpeg([
        '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30:duration=3',
        '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=3',
        '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-ac', '2', '-shortest', join(dir.path, 'sdr.mp4'),
      ]),
      ffmpeg([
        '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30:duration=2',
        '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-pix_fmt', 'yuv420p10le',
        '-color_trc', 'arib-std-b67', '-color_primaries', 'bt2020', '-colorspace', 'bt2020nc', '-tag:v', 'hvc1', join(dir.path, 'hlg.mp4'),
      ]),
    ]);
    [sdr, hlg] = await Promise.all([probe(join(dir.path, 'sdr.mp4')), probe(join(dir.path, 'hlg.mp4'))]);
  });

  afterAll(async () => {
    await dir?.remove();
  });

  /** 1.5 s segments (after the 1 s first one) so that a 2-3 s clip has several, and keyframe alignment shows. */
  const jobFor = (name: string, source: MediaProbe): HlsJob => ({
    input: join(dir.path, `${name}.mp4`),
    outputDir: join(dir.path, `${name}-hls`),
    probe: source,
    ladder: planLadder(source, { segmentSeconds: 1.5 }),
  });

  it('walks past a GPU that is not there, encodes in software, and the ladder plays', async () => {
    const job = jobFor('sdr', sdr);
    expect(job.ladder.rungs.map((r) => r.name)).toEqual(['720p', '480p', '360p']);

    // The hardware steps throw: they stand in for a GPU that does not exist on this machine.
    const outcome = await walkFallback(fallbackOrder('vaapi', sdr), async (path) => {
      if (path !== 'software') throw new Error(`stand-in: no VAAPI device for ${path}`);
      return encode(path, job);
    });
    expect(outcome.path).toBe('software');
    expect(outcome.steps).toEqual([
      { path: 'vaapi-hw-decode', error: 'stand-in: no VAAPI device for vaapi-hw-decode' },
      { path: 'vaapi-sw-decode', error: 'stand-in: no VAAPI device for vaapi-sw-decode' },
      { path: 'software' },
    ]);
    // ffmpeg's -progress output was read as it came, and ended at 100%.
    expect(outcome.result.at(-1)).toMatchObject({ percent: 100, done: true, etaSeconds: 0 });

    const out = job.outputDir;
    const master = completeMasterPlaylist(await readFile(join(out, hlsLayout.master), 'utf8'), job.ladder);
    const variants = master.split('\n').filter((line) => line.startsWith('#EXT-X-STREAM-INF:'));
    expect(variants).toHaveLength(3);
    for (const [i, rung] of job.ladder.rungs.entries()) {
      const line = variants[i]!;
      for (const attribute of ['BANDWIDTH=', 'AVERAGE-BANDWIDTH=', 'CODECS="avc1.', 'FRAME-RATE=30.000']) expect(line).toContain(attribute);
      expect(line).toContain(`RESOLUTION=${rung.width}x${rung.height}`);
      expect(line).toContain('mp4a.40.2');
    }

    const segmentLists: string[] = [];
    for (const rung of job.ladder.rungs) {
      const files = await readdir(join(out, rung.name));
      expect(files).toContain(`init_${rung.name}.mp4`);
      expect(files.filter((f) => f.endsWith('.m4s')).length).toBeGreaterThanOrEqual(3);
      expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);

      const playlistPath = join(out, hlsLayout.variantPlaylist(rung.name));
      const finished = finalizeVariantPlaylist(await readFile(playlistPath, 'utf8'));
      expect(finished).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
      expect(finished.trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);
      await writeFile(playlistPath, finished);
      const durations = finished.split('\n').filter((l) => l.startsWith('#EXTINF'));
      // A short first segment so playback can start early, then the segment length.
      expect(durations.slice(0, 2)).toEqual(['#EXTINF:1.000000,', '#EXTINF:1.500000,']);
      segmentLists.push(durations.join(' '));

      const played = await probePlaylist(playlistPath);
      expect(Math.abs(played.duration - sdr.durationSeconds)).toBeLessThanOrEqual(0.5);
      expect(played.stream).toMatchObject({ codec_name: 'h264', width: rung.width, height: rung.height, pix_fmt: 'yuv420p' });
      // Every frame decodes.
      const decoded = await run('ffmpeg', ['-v', 'error', '-i', playlistPath, '-f', 'null', '-']);
      expect({ code: decoded.code, stderr: decoded.stderr }).toEqual({ code: 0, stderr: '' });
    }
    // Keyframes on the same frames in every rung: every rung is cut into the same segments.
    expect(new Set(segmentLists).size).toBe(1);

    // The poster comes from the ladder: the frame posterSeconds in (1 s for a 3 s clip), not another.
    const poster = join(dir.path, 'sdr-poster.jpg');
    await cutPoster(job, poster);
    expect((await probePlaylist(poster)).stream).toMatchObject({ codec_name: 'mjpeg', width: 1280, height: 720 });
    // It matches the source's frame at 1 s better, by a clear margin, than frames half a second around it.
    const [before, right, after] = await Promise.all([0.5, 1, 1.5].map((t) => psnrAt(poster, job.input, t, '1280x720')));
    expect(right).toBeGreaterThan(Math.max(before!, after!) + 2);
  });

  it('tone-maps 10-bit HLG HEVC to 8-bit SDR BT.709', async () => {
    expect(hlg.video).toMatchObject({ hdr: 'hlg', bitDepth: 10 });
    const job = jobFor('hlg', hlg);
    expect(job.ladder.hdrToSdr).toBe(true);
    await encode('software', job);

    const master = completeMasterPlaylist(await readFile(join(job.outputDir, hlsLayout.master), 'utf8'), job.ladder);
    expect(master.split('\n').filter((line) => line.startsWith('#EXT-X-STREAM-INF:'))).toHaveLength(3);
    for (const rung of job.ladder.rungs) {
      const played = await probePlaylist(join(job.outputDir, hlsLayout.variantPlaylist(rung.name)));
      expect(Math.abs(played.duration - hlg.durationSeconds)).toBeLessThanOrEqual(0.5);
      expect(played.stream).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p', width: rung.width, height: rung.height });
      expect(['bt709', undefined]).toContain(played.stream['color_transfer']);
      expect(played.stream['color_transfer']).not.toBe('arib-std-b67');
    }
    // The poster is cut from a tone-mapped rung, so it is 8-bit SDR too.
    const poster = join(dir.path, 'hlg-poster.jpg');
    await cutPoster(job, poster);
    expect((await probePlaylist(poster)).stream).toMatchObject({ codec_name: 'mjpeg', width: 1280, height: 720, pix_fmt: 'yuvj420p' });
  });

  it('makes a one-rung ladder (a 360p source) whose playlist names an init segment that exists', async () => {
    await ffmpeg([
      '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30:duration=2',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', join(dir.path, 'small.mp4'),
    ]);
    const job = jobFor('small', await probe(join(dir.path, 'small.mp4')));
    expect(job.ladder.rungs.map((r) => r.name)).toEqual(['360p']);
    await encode('software', job);
    const playlist = await readFile(join(job.outputDir, hlsLayout.variantPlaylist('360p')), 'utf8');
    expect(playlist).toContain('#EXT-X-MAP:URI="init_360p.mp4"');
    expect(await readdir(join(job.outputDir, '360p'))).toContain('init_360p.mp4');
    const decoded = await run('ffmpeg', ['-v', 'error', '-i', join(job.outputDir, hlsLayout.variantPlaylist('360p')), '-f', 'null', '-']);
    expect({ code: decoded.code, stderr: decoded.stderr }).toEqual({ code: 0, stderr: '' });
  });

  // No /dev/dri here: the hardware builders' real commands must fail, at device setup, with ffmpeg's reason.
  it.skipIf(existsSync('/dev/dri'))('fails for real on the hardware steps, with a device error', async () => {
    const job = jobFor('sdr', sdr);
    await expect(encode('vaapi-hw-decode', { ...job, outputDir: join(dir.path, 'vaapi-hls') })).rejects.toThrow(
      /vaapi-hw-decode: .*(No VA display found|Device creation failed|No device available for decoder)/s,
    );
    await expect(encode('qsv-sw-decode', { ...job, outputDir: join(dir.path, 'qsv-hls') })).rejects.toThrow(/qsv-sw-decode: .*(No VA display found|Device creation failed)/s);
    for (const kind of ['vaapi', 'qsv'] as const) {
      const probeRun = await run('ffmpeg', testEncodeArgs(kind));
      expect(probeRun.code).not.toBe(0);
      expect(probeRun.stderr).toMatch(/No VA display found|Device creation failed/);
    }
    expect((await run('ffmpeg', testEncodeArgs('software'))).code).toBe(0);
  });
});
