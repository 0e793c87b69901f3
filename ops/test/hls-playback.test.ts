import { execFile } from 'node:child_process';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntryDto, MediaDetails } from '@nebula/contract';
import { launchChromium } from '../test-support/browser';
import { startNebula, type RunningNebula } from '../test-support/nebula-process';
import { tempDir } from '../test-support/services';

const exec = promisify(execFile);
const hlsJs = readFileSync(join(import.meta.dirname, '..', '..', 'node_modules', 'hls.js', 'dist', 'hls.min.js'));

/** A bare player page on its own origin that proxies /hls/ to the gateway, as a same-origin web UI would. */
function playerServer(gateway: string): Promise<{ url: string; server: Server }> {
  const page = `<!doctype html><video id="v" muted playsinline></video><script src="/hls.js"></script><script>
    const video = document.getElementById('v');
    window.hls = new Hls();
    window.switched = [];
    hls.on(Hls.Events.LEVEL_SWITCHED, (_, d) => switched.push(hls.levels[d.level].height));
    hls.loadSource(new URLSearchParams(location.search).get('src'));
    hls.attachMedia(video);
    hls.on(Hls.Events.MANIFEST_PARSED, () => video.play());
  </script>`;
  const server = createServer(async (req, res) => {
    if (req.url === '/hls.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(hlsJs);
    if (req.url!.startsWith('/hls/')) {
      const upstream = await fetch(`${gateway}${req.url}`);
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream', 'cache-control': upstream.headers.get('cache-control') ?? '' });
      return void Readable.fromWeb(upstream.body as import('node:stream/web').ReadableStream).pipe(res);
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server })));
}

describe('playback in a real browser (Chromium + hls.js)', () => {
  let nebula: RunningNebula;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    [nebula, dir] = await Promise.all([startNebula(), tempDir()]);
  });

  afterAll(async () => {
    await nebula?.stop();
    await dir?.remove();
  });

  // Its waits on the player (up to 60 + 30 + 20 + 20 + 40 s) outlast vitest's default 60 s; it took 38 s in CI.
  it('starts while the ladder is still being made, plays to the end, and applies a chosen quality', { timeout: 240_000 }, async () => {
    const file = join(dir.path, 'walk.mp4');
    await exec('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30:duration=12', '-f', 'lavfi', '-i', 'sine=duration=12', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', file]);
    await new Promise<void>((resolve, reject) =>
      new tus.Upload(createReadStream(file), { endpoint: `${nebula.url}/api/uploads`, uploadSize: statSync(file).size, metadata: { filename: 'walk.mp4' }, onError: reject, onSuccess: () => resolve() }).start(),
    );
    const entry = (await (await fetch(`${nebula.url}/api/files/lookup?path=/walk.mp4`)).json()) as EntryDto;
    // Wait only until the master playlist exists: playback starts before the encode ends.
    let details: MediaDetails | undefined;
    await expect.poll(async () => {
      details = (await (await fetch(`${nebula.url}/api/files/${entry.id}/media`)).json()) as MediaDetails;
      return details.hls !== null || details.status === 'failed';
    }, { timeout: 60_000, interval: 100 }).toBe(true);
    const startedWhile = details!.status;

    const player = await playerServer(nebula.url);
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      await page.goto(`${player.url}/?src=${encodeURIComponent(details!.hls!)}`);
      await expect.poll(() => page.evaluate(() => (document.getElementById('v') as HTMLVideoElement).currentTime), { timeout: 30_000 }).toBeGreaterThan(1);
      // Pick the smallest rung by hand, as the quality menu does.
      const lowest = await page.evaluate(() => {
        const hls = (window as unknown as { hls: { levels: { height: number }[]; currentLevel: number } }).hls;
        const index = hls.levels.reduce((best, l, i, all) => (l.height < all[best]!.height ? i : best), 0);
        hls.currentLevel = index;
        return hls.levels[index]!.height;
      });
      await expect.poll(() => page.evaluate(() => (window as unknown as { switched: number[] }).switched.at(-1)), { timeout: 20_000 }).toBe(lowest);
      await expect.poll(() => page.evaluate(() => (document.getElementById('v') as HTMLVideoElement).videoHeight), { timeout: 20_000 }).toBe(lowest);
      // The EVENT playlists grew into VOD ones under the player: it reaches the end.
      await expect.poll(() => page.evaluate(() => (document.getElementById('v') as HTMLVideoElement).ended), { timeout: 40_000, interval: 500 }).toBe(true);
      const duration = await page.evaluate(() => (document.getElementById('v') as HTMLVideoElement).duration);
      expect(Math.abs(duration - 12)).toBeLessThan(0.5);
      // The master was found while the worker was still encoding: playback began before the ladder was done.
      expect(startedWhile).toBe('processing');
    } finally {
      await browser.close();
      player.server.close();
    }
  });
});
