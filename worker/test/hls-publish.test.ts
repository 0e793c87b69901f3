import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import HLS from 'hls-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStorage } from '@nebula/shared/storage';
import { tempDir } from '../../ops/test-support/services';
import { SoftwareBuilder } from '../src/media/ffmpeg/software.builder';
import { completeMasterPlaylist, finalizeVariantPlaylist, hlsLayout, targetDurationSeconds, withTargetDuration } from '../src/media/hls-playlists';
import { HlsPublisher } from '../src/media/hls-publisher';
import { planLadder } from '../src/media/ladder';
import { parseProbe, probeArgs } from '../src/media/probe';
import { recordPlaylists, run, strictParse } from './playlist-checks';

describe('playlists as players see them while a ladder is made', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    dir = await tempDir('nebula-hls-publish-');
  });
  afterAll(() => dir.remove());

  it('keeps one TARGETDURATION in every published version and follows RFC 8216 from the first version to the last', async () => {
    const input = join(dir.path, 'clip.mp4');
    // 6 s at 30 fps with audio: a 1 s first segment, then 2 s segments, so the target would grow from 1 to 2 in ffmpeg's own playlists.
    const made = await run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30:duration=6',
      '-f', 'lavfi', '-i', 'sine=frequency=440:duration=6',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', input,
    ]);
    expect(made.stderr).toBe('');
    const probe = parseProbe((await run('ffprobe', probeArgs(input))).stdout, input);
    const ladder = planLadder(probe, { segmentSeconds: 2 });
    const outputDir = join(dir.path, 'out');
    await mkdir(outputDir);
    const target = targetDurationSeconds(ladder);
    expect(target).toBe(2);

    const { storage, versions } = recordPlaylists(new FsObjectStorage(join(dir.path, 'objects')));
    const publisher = new HlsPublisher(storage, outputDir, 'hls/f/run/', 'hls/f/master.m3u8', 'run', {
      master: (text) => completeMasterPlaylist(text, ladder),
      variant: (text) => withTargetDuration(text, target),
    });
    const { args } = new SoftwareBuilder({ x264Preset: 'ultrafast' }).command({ input, outputDir, probe, ladder });
    // -re: encode at the clip's own pace, so the publisher sees the playlists grow segment by segment.
    const encoding = run('ffmpeg', ['-re', ...args]);
    let finished = false;
    void encoding.finally(() => (finished = true));
    while (!finished) {
      await publisher.sync();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await encoding).code).toBe(0);
    for (const rung of ladder.rungs) {
      const path = join(outputDir, hlsLayout.variantPlaylist(rung.name));
      await writeFile(path, finalizeVariantPlaylist(await readFile(path, 'utf8')));
    }
    await publisher.sync();

    const variantKeys = [...versions.keys()].filter((key) => key.endsWith('/index.m3u8'));
    expect(variantKeys).toHaveLength(ladder.rungs.length);
    for (const key of variantKeys) {
      const published = versions.get(key)!;
      // The playlist grew while the ladder was made: players saw several versions of it.
      expect(published.length).toBeGreaterThanOrEqual(3);
      let lastCount = 0;
      for (const [i, text] of published.entries()) {
        const playlist = strictParse(text) as HLS.types.MediaPlaylist;
        expect(playlist.isMasterPlaylist).toBe(false);
        expect(playlist.targetDuration).toBe(target);
        expect(playlist.mediaSequenceBase ?? 0).toBe(0);
        for (const segment of playlist.segments) {
          expect(Math.round(segment.duration)).toBeLessThanOrEqual(target);
          expect(segment.map?.uri).toBe(`init_${key.split('/').at(-2)}.mp4`);
        }
        // EVENT: segments are only ever added, never changed or taken away.
        expect(playlist.segments.length).toBeGreaterThanOrEqual(lastCount);
        lastCount = playlist.segments.length;
        const last = i === published.length - 1;
        expect(playlist.playlistType).toBe('EVENT');
        // Once ended, a playlist never changes again.
        expect(playlist.endlist).toBe(last);
      }
      const final = strictParse(published.at(-1)!) as HLS.types.MediaPlaylist;
      expect(final.segments.map((s) => s.duration).slice(0, 2)).toEqual([1, 2]);
      expect(final.segments.reduce((sum, s) => sum + s.duration, 0)).toBeCloseTo(probe.durationSeconds, 0);
    }

    const masters = versions.get('hls/f/master.m3u8')!;
    expect(masters).toHaveLength(1);
    const master = strictParse(masters[0]!) as HLS.types.MasterPlaylist;
    expect(master.isMasterPlaylist).toBe(true);
    expect(master.variants.map((v) => v.uri)).toEqual(ladder.rungs.map((r) => `run/${hlsLayout.variantPlaylist(r.name)}`));
    for (const variant of master.variants) {
      expect(variant.codecs).toMatch(/^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
      expect(variant.averageBandwidth).toBeLessThanOrEqual(variant.bandwidth);
    }
  });
});
