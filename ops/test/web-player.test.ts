import { execFile } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import * as tus from 'tus-js-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EntryDto, MediaDetails } from '@nebula/contract';
import { waitFor } from '../embedded/processes';
import { buildWeb, webBuildIsStale } from '../embedded/builds';
import { launchChromium } from '../test-support/browser';
import { startNebula, type RunningNebula } from '../test-support/nebula-process';
import { tempDir } from '../test-support/services';

const exec = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
/** For a reviewer to look at (test-results/ is git-ignored). */
const screenshots = join(root, 'test-results', 'screenshots');

/**
 * The web player, in Debian's Chromium against the real gateway and worker: what Auto picks on a
 * phone, the keys, the quality menu by keyboard, seek previews, and coming back to a video half watched.
 */
describe('the web player', () => {
  let nebula: RunningNebula;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let watchUrl: string;
  const pageErrors: string[] = [];
  /** Every page a test opened, closed after it whether it passed or not. */
  const opened: Page[] = [];

  const shot = (page: Page, name: string) => page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
  const video = (page: Page) => page.locator('video');
  const now = <T,>(page: Page, read: (v: HTMLVideoElement) => T) => video(page).evaluate(read);

  async function openWatchPage(viewport = { width: 1280, height: 800 }): Promise<Page> {
    const page = await browser.context.newPage();
    opened.push(page);
    await page.setViewportSize(viewport);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(watchUrl);
    await expect.poll(() => video(page).getAttribute('data-source')).toBe('hls');
    return page;
  }

  beforeAll(async () => {
    if (await webBuildIsStale(root)) await buildWeb(root);
    [nebula, dir] = await Promise.all([startNebula(), tempDir(), mkdir(screenshots, { recursive: true })]);
    // 1080p: a four-rung ladder (1080p, 720p, 480p, 360p) to choose from.
    const file = join(dir.path, 'harbour.mp4');
    await exec('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30:duration=8', '-f', 'lavfi', '-i', 'sine=duration=8', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', file]);
    await new Promise<void>((resolve, reject) =>
      new tus.Upload(createReadStream(file), { endpoint: `${nebula.url}/api/uploads`, uploadSize: statSync(file).size, metadata: { filename: 'harbour.mp4' }, onError: reject, onSuccess: () => resolve() }).start(),
    );
    const entry = (await (await fetch(`${nebula.url}/api/files/lookup?path=/harbour.mp4`)).json()) as EntryDto;
    const status = async () => ((await (await fetch(`${nebula.url}/api/files/${entry.id}/media`)).json()) as MediaDetails).status;
    await waitFor('the ladder', async () => ['ready', 'failed'].includes(await status()), 120_000, 250);
    expect(await status()).toBe('ready');
    watchUrl = `${nebula.url}/watch/${entry.id}`;
    browser = await launchChromium();
  }, 240_000);

  afterEach(async () => {
    // A test that failed before closing its pages: one left playing would remember its own place
    // for the file, and the resume test after it would read that.
    await Promise.all(opened.splice(0).map((page) => page.close()));
    expect(pageErrors.splice(0), 'uncaught exceptions in the page').toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await nebula?.stop();
    await dir?.remove();
  });

  it('on a phone, Auto plays no rung larger than the player (its pixels times the device pixel ratio)', async () => {
    const page = await browser.context.newPage();
    opened.push(page);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // An iPhone-sized screen at twice the pixels: the player is about 360 CSS px, so 720 device px wide.
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Emulation.setDeviceMetricsOverride', { width: 390, height: 844, deviceScaleFactor: 2, mobile: true });
    await page.goto(watchUrl);
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    await expect.poll(() => now(page, (v) => v.currentTime), { timeout: 30_000 }).toBeGreaterThan(3);
    const player = await video(page).evaluate((v) => ({ width: v.clientWidth * window.devicePixelRatio, height: v.clientHeight * window.devicePixelRatio }));
    expect(player.width).toBeGreaterThanOrEqual(640);
    expect(player.width).toBeLessThan(854);
    // On loopback the measured bandwidth would take 1080p at once: only the player's size stops it,
    // at the largest picture inside the player (640×360), not the next one up (854×480, which
    // hls.js's own size cap takes: it covers the player).
    const picture = await now(page, (v) => ({ width: v.videoWidth, height: v.videoHeight }));
    expect(picture).toEqual({ width: 640, height: 360 });
    expect(picture.width).toBeLessThanOrEqual(player.width);
    expect(picture.height).toBeLessThanOrEqual(player.height);
    expect(await page.getByRole('button', { name: /^Quality/ }).innerText()).toBe('Quality: Auto (360p)');
    expect(await page.evaluate(() => [window.innerWidth, document.documentElement.scrollWidth])).toEqual([390, 390]);
    // Through the same DevTools session: Playwright's own screenshot would lay the page out again at its viewport.
    const { data } = await cdp.send('Page.captureScreenshot', { format: 'png' });
    await writeFile(join(screenshots, '20-player-phone-auto.png'), Buffer.from(data, 'base64'));
    await cdp.detach();
    await page.close();
  });

  it('answers the usual keys: Space and k, arrows, j and l, m, f', async () => {
    const page = await openWatchPage();
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    await expect.poll(() => now(page, (v) => v.currentTime), { timeout: 30_000 }).toBeGreaterThan(0.5);
    const region = page.getByRole('region', { name: 'Player: harbour.mp4' });
    await expect.poll(() => region.evaluate((element) => element === document.activeElement)).toBe(true);

    // From 1 s in, whatever an earlier visit left: the jumps below stay inside the 8 s clip.
    await video(page).evaluate(async (v: HTMLVideoElement) => {
      v.currentTime = 1;
      await new Promise((r) => v.addEventListener('seeked', r, { once: true }));
    });
    await page.keyboard.press('k');
    await expect.poll(() => now(page, (v) => v.paused)).toBe(true);
    const at = await now(page, (v) => v.currentTime);
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => now(page, (v) => v.currentTime)).toBeCloseTo(at + 5, 0);
    await page.keyboard.press('j');
    await expect.poll(() => now(page, (v) => v.currentTime)).toBeCloseTo(Math.max(0, at - 5), 0);
    await page.keyboard.press('m');
    expect(await now(page, (v) => v.muted)).toBe(true);
    await page.keyboard.press('ArrowDown');
    expect(await now(page, (v) => v.volume)).toBeCloseTo(0.9, 5);
    await page.keyboard.press('f');
    await expect.poll(() => page.evaluate(() => document.fullscreenElement?.className ?? null)).toBe('player');
    await page.keyboard.press('f');
    await expect.poll(() => page.evaluate(() => document.fullscreenElement)).toBe(null);
    await page.keyboard.press(' ');
    await expect.poll(() => now(page, (v) => v.paused)).toBe(false);
    // The keys are told to screen readers with the player.
    expect(await region.getAttribute('aria-describedby')).toBeTruthy();
    await page.close();
  });

  it('offers the qualities as a menu a keyboard can drive, and the button says what plays', async () => {
    const page = await openWatchPage();
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    const button = page.getByRole('button', { name: /^Quality/ });
    await expect.poll(() => button.isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await button.getAttribute('aria-haspopup')).toBe('menu');

    await button.focus();
    // Space on the button opens the menu; it does not pause the video behind it.
    await page.keyboard.press(' ');
    const menu = page.getByRole('menu', { name: 'Quality' });
    await expect.poll(() => menu.isVisible()).toBe(true);
    expect(await button.getAttribute('aria-expanded')).toBe('true');
    expect(await now(page, (v) => v.paused)).toBe(false);
    const items = page.getByRole('menuitemradio');
    expect((await items.allInnerTexts()).map((text) => text.split(/\s/)[0])).toEqual(['Auto', '1080p', '720p', '480p', '360p']);
    expect(await items.first().getAttribute('aria-checked')).toBe('true');
    await expect.poll(() => items.first().evaluate((item) => item === document.activeElement)).toBe(true);
    await shot(page, '21-player-quality-menu');

    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect.poll(() => menu.isVisible()).toBe(false);
    await expect.poll(() => button.evaluate((b) => b === document.activeElement)).toBe(true);
    expect(await button.innerText()).toBe('Quality: 720p');
    await expect.poll(() => now(page, (v) => v.videoHeight), { timeout: 20_000 }).toBe(720);

    // Escape closes without changing anything.
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => menu.isVisible()).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => menu.isVisible()).toBe(false);
    expect(await button.innerText()).toBe('Quality: 720p');
    await page.close();
  });

  it('shows the thumbnail of the moment under the pointer above the seek bar', async () => {
    const page = await openWatchPage();
    const bar = page.getByRole('slider', { name: 'Seek' });
    await expect.poll(() => bar.isVisible(), { timeout: 20_000 }).toBe(true);
    // Over 5.5 s of the 8 s clip: the tile one thumbnail a second shows from 5 s on, the sixth of the sheet's first row.
    const { width, height } = (await bar.boundingBox())!;
    await bar.hover({ position: { x: (width * 5.5) / 8, y: height / 2 } });
    const preview = page.locator('.seek-preview');
    await expect.poll(() => preview.isVisible()).toBe(true);
    const style = await preview.evaluate((element) => {
      const css = getComputedStyle(element);
      return { image: css.backgroundImage, position: css.backgroundPosition, width: css.width, height: css.height };
    });
    expect(style).toEqual({ image: expect.stringMatching(/\/hls\/[0-9a-f-]+\/r[0-9a-z]+-software(-copy)?\/storyboard\/sprite_000\.jpg"\)$/), position: '-800px 0px', width: '160px', height: '90px' });
    expect(await preview.innerText()).toBe('0:05');
    // The sheet it points at is there, and is a JPEG.
    const sheet = await page.evaluate(async (url) => (await fetch(url)).headers.get('content-type'), /url\("(.+)"\)/.exec(style.image)![1]!);
    expect(sheet).toBe('image/jpeg');
    await shot(page, '23-player-seek-preview');
    await page.getByRole('region', { name: 'Player: harbour.mp4' }).hover({ position: { x: 10, y: 10 } });
    await expect.poll(() => preview.count()).toBe(0);
    // By keyboard the bar steps 5 s, as the player's own arrows do (not a range's tenth of a second), with the thumbnail of where it lands.
    await bar.focus();
    // Paused, so that where each step lands is exact (the page starts playing on its own).
    await video(page).evaluate(async (v: HTMLVideoElement) => {
      v.pause();
      v.currentTime = 1;
      await new Promise((r) => v.addEventListener('seeked', r, { once: true }));
    });
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => now(page, (v) => v.currentTime)).toBeCloseTo(6, 1);
    expect(await preview.innerText()).toBe('0:06');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => now(page, (v) => v.currentTime)).toBeCloseTo(1, 1);
    await page.close();
  });

  it('remembers where the viewer left off, offers it on return, and can start over', async () => {
    const page = await openWatchPage();
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    await expect.poll(() => now(page, (v) => v.currentTime), { timeout: 30_000 }).toBeGreaterThan(0.5);
    await video(page).evaluate(async (v: HTMLVideoElement) => {
      v.pause();
      v.currentTime = 4.2;
      await new Promise((r) => v.addEventListener('seeked', r, { once: true }));
      v.dispatchEvent(new Event('pause'));
    });
    await page.close();

    const back = await openWatchPage();
    const resume = back.getByRole('button', { name: 'Resume at 0:04' });
    await expect.poll(() => resume.isVisible()).toBe(true);
    // Nothing plays until the viewer chooses.
    expect(await now(back, (v) => v.paused)).toBe(true);
    await shot(back, '22-player-resume-offer');
    await back.getByRole('button', { name: 'Start from the beginning' }).click();
    await expect.poll(() => now(back, (v) => !v.paused && v.currentTime > 0)).toBe(true);
    expect(await now(back, (v) => v.currentTime)).toBeLessThan(3);
    await expect.poll(() => resume.isVisible()).toBe(false);
    await back.close();
  });
});
