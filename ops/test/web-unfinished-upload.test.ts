import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntryDto } from '@nebula/contract';
import { buildWeb, webBuildIsStale } from '../embedded/builds';
import { launchChromium } from '../test-support/browser';
import { makeRandomFile } from '../test-support/random-file';
import { startNebula, type RunningNebula } from '../test-support/nebula-process';
import { tempDir } from '../test-support/services';
import { abandonUpload } from '../test-support/unfinished-upload';

const root = join(import.meta.dirname, '..', '..');
const MiB = 1024 * 1024;

/**
 * Uploads another device left unfinished, as the web UI shows them (Debian's Chromium on the real
 * gateway): how far they got and whose they are; the same file chosen again goes on where the
 * other device stopped; the owner can discard one. The abandoned uploads are raw tus requests.
 */
describe('the web UI and unfinished uploads', () => {
  let nebula: RunningNebula;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (await webBuildIsStale(root)) await buildWeb(root);
    [nebula, dir, browser] = await Promise.all([startNebula(), tempDir(), launchChromium()]);
  });

  afterAll(async () => {
    await browser?.close();
    await nebula?.stop();
    await dir?.remove();
  });

  /** What another device left behind: `sent` bytes of `file` at /trip/<name>, by `user` (none: the single owner). */
  const abandon = (file: string, name: string, sent: number, sha256: string, user?: string) => abandonUpload(nebula.url, { file, folder: '/trip', name, sent, sha256, user });


  async function openTrip(): Promise<Page> {
    const page = await browser.context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${nebula.url}/browse/trip`);
    return page;
  }

  it('shows how far an unfinished upload got, and resumes it when the same file is chosen', async () => {
    const file = join(dir.path, 'clip.bin');
    const sha256 = await makeRandomFile(file, 3 * MiB);
    await abandon(file, 'clip.bin', MiB, sha256);
    const theirs = join(dir.path, 'theirs.bin');
    await abandon(theirs, 'theirs.bin', MiB, await makeRandomFile(theirs, 2 * MiB), 'alice@example.com');

    const page = await openTrip();
    const row = page.locator('li.entry[data-entry="clip.bin"]');
    await expect.poll(() => row.locator('[data-status]').innerText()).toBe('Uploading 33%');
    expect(await row.locator('.entry-meta').innerText()).toMatch(/1\.0 MB of 3\.1 MB\s*started /);
    // Only its owner may discard an upload; someone else's says whose it is.
    expect(await row.getByRole('button', { name: 'Discard the upload of clip.bin' }).isVisible()).toBe(true);
    const other = page.locator('li.entry[data-entry="theirs.bin"]');
    expect(await other.locator('.entry-meta').innerText()).toContain('by alice@example.com');
    expect(await other.getByRole('button', { name: /Discard/ }).count()).toBe(0);

    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: 'Upload files' }).click()]);
    await chooser.setFiles(file);
    const upload = page.locator('li.upload[data-upload="clip.bin"]');
    await expect.poll(() => upload.locator('.upload-phase').innerText(), { timeout: 30_000 }).toBe('Uploaded');
    expect(await upload.locator('.upload-detail').innerText()).toBe('3.1 MB to /trip, resumed at 1.0 MB');
    const entry = (await (await fetch(`${nebula.url}/api/files/lookup?path=/trip/clip.bin`)).json()) as EntryDto;
    expect(entry).toMatchObject({ status: 'ready', sha256 });
    await page.close();
  });

  it('lets its owner discard an unfinished upload, after asking', async () => {
    const file = join(dir.path, 'draft.bin');
    await abandon(file, 'draft.bin', 1000, await makeRandomFile(file, MiB));
    const page = await openTrip();
    await page.getByRole('button', { name: 'Discard the upload of draft.bin' }).click();
    await expect.poll(() => page.getByRole('dialog').innerText()).toContain('never finished');
    await page.getByRole('dialog').getByRole('button', { name: 'Discard upload' }).click();
    await expect.poll(() => page.locator('li.entry[data-entry="draft.bin"]').count()).toBe(0);
    expect(await page.locator('.notice').innerText()).toBe('Discarded the unfinished upload of draft.bin.');
    expect((await fetch(`${nebula.url}/api/files/lookup?path=/trip/draft.bin`)).status).toBe(404);
    await page.close();
    expect(pageErrors).toEqual([]);
  });
});
