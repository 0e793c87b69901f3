import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type HLS from 'hls-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStorage } from '@nebula/shared/storage';
import { tempDir } from '../../ops/test-support/services';
import { SoftwareBuilder } from '../src/media/ffmpeg/software.builder';
import { completeMasterPlaylist, finalizeVariantPlaylist, hlsLayout, withTargetDuration } from '../src/media/hls-playlists';
import { HlsPublisher } from '../src/media/hls-publisher';
import { planLadder, type Ladder } from '../src/media/ladder';
import { planStoryboard, storyboardArgs, storyboardRung, storyboardSheet, storyboardVtt } from '../src/media/ffmpeg/storyboard';
import { parseProbe, probeArgs, type MediaProbe } from '../src/media/probe';
import { keyframeScanArgs, planTopRungCopy, readKeyframeScan, withCopiedTopRung, type TopRungCopy } from '../src/media/top-rung-copy';
import { recordPlaylists, run, strictParse } from './playlist-checks';

/** WebVTT cues as a player reads them: times in seconds and the `#xywh=` tile. */
function parseCues(vtt: string): { start: number; end: number; image: string; x: number; y: number; w: number; h: number }[] {
  const time = (t: string) => t.split(':').reduce((total, part) => total * 60 + Number(part), 0);
  expect(vtt.startsWith('WEBVTT\n\n')).toBe(true);
  return [...vtt.matchAll(/^(\S+) --> (\S+)\n(.+)#xywh=(\d+),(\d+),(\d+),(\d+)$/gm)].map((m) => ({
    start: time(m[1]!), end: time(m[2]!), image: m[3]!, x: Number(m[4]), y: Number(m[5]), w: Number(m[6]), h: Number(m[7]),
  }));
}

async function ffmpeg(args: string[]): Promise<void> {
  const result = await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
  expect(result.stderr).toBe('');
}

async function probeAndScan(path: string): Promise<{ probe: MediaProbe; plan: ReturnType<typeof planTopRungCopy> }> {
  const probe = parseProbe((await run('ffprobe', probeArgs(path))).stdout, path);
  const packets = readKeyframeScan((await run('ffprobe', keyframeScanArgs(path))).stdout);
  return { probe, plan: planTopRungCopy(probe, planLadder(probe), packets) };
}

/** Each video frame's size and md5, as ffmpeg's framemd5 muxer lists them (timestamps left out: the HLS muxer shifts them by a constant). */
async function videoFrames(input: string): Promise<string[]> {
  const result = await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', input, '-map', '0:v:0', '-c', 'copy', '-f', 'framemd5', '-']);
  expect(result.stderr).toBe('');
  return result.stdout
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split(',').slice(-2).map((f) => f.trim()).join(' '));
}

describe('the top rung copied from an H.264 source', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let input: string;
  let outputDir: string;
  let probe: MediaProbe;
  let plan: ReturnType<typeof planTopRungCopy>;
  let ladder: Ladder;
  let versions: Map<string, string[]>;

  // One ladder for the checks below: a phone-like clip (480p, 30 fps, H.264 High with B-frames, a keyframe every 1.5 s, AAC),
  // its top rung copied, published as the worker does.
  beforeAll(async () => {
    dir = await tempDir('nebula-top-rung-copy-');
    input = join(dir.path, 'phone.mp4');
    await ffmpeg([
      '-f', 'lavfi', '-i', 'testsrc2=size=854x480:rate=30:duration=4', '-f', 'lavfi', '-i', 'sine=duration=4',
      '-c:v', 'libx264', '-preset', 'veryfast', '-g', '45', '-keyint_min', '45', '-sc_threshold', '0', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', input,
    ]);
    ({ probe, plan } = await probeAndScan(input));
    if ('refused' in plan) throw new Error(`not copied: ${plan.refused}`);
    const copy = plan;
    ladder = withCopiedTopRung(planLadder(probe), copy);
    outputDir = join(dir.path, 'out');
    await mkdir(outputDir);
    const recorded = recordPlaylists(new FsObjectStorage(join(dir.path, 'objects')));
    versions = recorded.versions;
    const publisher = new HlsPublisher(recorded.storage, outputDir, 'hls/f/run/', 'hls/f/master.m3u8', 'run', {
      master: (text) => completeMasterPlaylist(text, ladder),
      variant: (text) => withTargetDuration(text, copy.targetDurationSeconds),
    });
    const { args } = new SoftwareBuilder({ x264Preset: 'ultrafast' }).command({ input, outputDir, probe, ladder, copyTopRung: copy });
    const encoded = await run('ffmpeg', args);
    expect({ code: encoded.code, stderr: encoded.stderr }).toEqual({ code: 0, stderr: '' });
    for (const rung of ladder.rungs) {
      const path = join(outputDir, hlsLayout.variantPlaylist(rung.name));
      await writeFile(path, finalizeVariantPlaylist(await readFile(path, 'utf8')));
    }
    await publisher.sync();
  }, 120_000);
  afterAll(() => dir.remove());

  it('is the source’s video bit for bit, and every rung is cut at the same times, in playlists RFC 8216 accepts', async () => {
    // CODECS as RFC 6381 reads it from the source's own avcC box: profile, constraints, level.
    const source = await readFile(input);
    const avcC = source.indexOf('avcC') + 4;
    const sourceCodecs = `avc1.${source.subarray(avcC + 1, avcC + 4).toString('hex')}`;
    expect(sourceCodecs).toBe('avc1.64001f');
    expect(plan).toMatchObject({ cutSeconds: [1.5, 3], segmentSeconds: [1.5, 1.5, 1], targetDurationSeconds: 2, codecs: sourceCodecs });
    const copy = plan as TopRungCopy;
    expect(ladder.rungs.map((r) => r.name)).toEqual(['480p', '360p']);

    // Bit for bit: the copied rung's init segment and segments, joined, hold the source's very frames.
    const top = join(outputDir, '480p');
    const segments = (await readdir(top)).filter((f) => f.endsWith('.m4s')).sort();
    const joined = join(dir.path, 'top.mp4');
    await writeFile(joined, Buffer.concat(await Promise.all([join(top, 'init_480p.mp4'), ...segments.map((s) => join(top, s))].map((f) => readFile(f)))));
    expect(await videoFrames(joined)).toEqual(await videoFrames(input));

    // Aligned: the same EXTINF list in every rung (within a frame), and one TARGETDURATION in every version.
    const durations: number[][] = [];
    for (const rung of ladder.rungs) {
      const published = versions.get(`hls/f/run/${hlsLayout.variantPlaylist(rung.name)}`)!;
      for (const text of published) expect((strictParse(text) as HLS.types.MediaPlaylist).targetDuration).toBe(copy.targetDurationSeconds);
      const final = strictParse(published.at(-1)!) as HLS.types.MediaPlaylist;
      expect(final.endlist).toBe(true);
      durations.push(final.segments.map((s) => s.duration));
    }
    for (const list of durations) {
      expect(list).toHaveLength(copy.segmentSeconds.length);
      list.forEach((d, i) => expect(Math.abs(d - copy.segmentSeconds[i]!)).toBeLessThanOrEqual(1 / 30 + 1e-3));
    }

    const master = strictParse(versions.get('hls/f/master.m3u8')![0]!) as HLS.types.MasterPlaylist;
    expect(master.variants.map((v) => v.codecs)).toEqual([`${sourceCodecs},mp4a.40.2`, expect.stringMatching(/^avc1\.[0-9a-f]{6},mp4a\.40\.2$/)]);
    // The copied rung's BANDWIDTH covers its measured peak, with its audio.
    expect(master.variants[0]!.bandwidth).toBeGreaterThanOrEqual(copy.peakBitrate);
    expect(master.variants[0]!.averageBandwidth).toBeLessThanOrEqual(master.variants[0]!.bandwidth);
  });

  it('gets seek previews from its smallest rung: sprite sheets, and cues that cover the video and point inside them', async () => {
    const board = planStoryboard(probe);
    expect(board).toMatchObject({ intervalSeconds: 1, tileWidth: 160, tileHeight: 90, tiles: 4, sheets: 1 });
    const sheets = join(dir.path, 'storyboard');
    await mkdir(sheets);
    const made = await run('ffmpeg', storyboardArgs(join(outputDir, hlsLayout.variantPlaylist(storyboardRung(ladder))), sheets, board));
    expect({ code: made.code, stderr: made.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await readdir(sheets)).toEqual([storyboardSheet(0)]);
    const size = JSON.parse((await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', join(sheets, storyboardSheet(0))])).stdout) as { streams: { width: number; height: number }[] };
    const sheet = { width: size.streams[0]!.width, height: size.streams[0]!.height };
    expect(sheet).toEqual({ width: 1600, height: 900 });

    const cues = parseCues(storyboardVtt(board, (i) => `run/storyboard/${storyboardSheet(i)}`));
    expect(cues[0]!.start).toBe(0);
    expect(cues.at(-1)!.end).toBeCloseTo(probe.durationSeconds, 3);
    cues.slice(1).forEach((cue, i) => expect(cue.start).toBe(cues[i]!.end));
    for (const cue of cues) {
      expect(cue.image).toBe('run/storyboard/sprite_000.jpg');
      expect(cue.x + cue.w).toBeLessThanOrEqual(sheet.width);
      expect(cue.y + cue.h).toBeLessThanOrEqual(sheet.height);
    }
  });

  it('is not made from a source whose keyframes are too far apart: that source is encoded as before', async () => {
    const input = join(dir.path, 'long-gop.mp4');
    // x264's default keyframe interval: 250 frames, over 8 s at 30 fps.
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=30:duration=9', '-c:v', 'libx264', '-preset', 'ultrafast', '-sc_threshold', '0', '-pix_fmt', 'yuv420p', input]);
    const { plan } = await probeAndScan(input);
    expect(plan).toEqual({ refused: 'keyframes too far apart: a 8.3 s segment (at most 6 s)' });
  });
});
