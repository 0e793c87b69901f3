import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tus from 'tus-js-client';
import { createReadStream } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntryDto, FolderListing, NebulaEvent } from '@nebula/contract';
import { tempDir } from '../../ops/test-support/services';
import { startTestGateway, type TestGateway } from './gateway';

/** Several devices creating the same folders at the same moment, against the real gateway and Postgres. */
describe('folders made by several requests at once', () => {
  let gw: TestGateway;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    [gw, dir] = await Promise.all([startTestGateway('fs'), tempDir()]);
  });
  afterAll(async () => {
    await gw?.stop();
    await dir?.remove();
  });

  const mkdir = (path: string, parents: boolean) =>
    fetch(`${gw.url}/api/folders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path, parents }) });

  it('six concurrent mkdir -p of one new path all succeed and make each folder once', async () => {
    // A few rounds on fresh paths: the race is between Postgres transactions, so give it chances.
    for (const round of [1, 2, 3, 4, 5]) {
      const answers = await Promise.all(Array.from({ length: 6 }, () => mkdir(`/race${round}/2026/june`, true)));
      const bodies = (await Promise.all(answers.map((r) => r.json()))) as EntryDto[];
      expect(answers.map((r) => r.status), JSON.stringify(bodies)).toEqual([201, 201, 201, 201, 201, 201]);
      expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
      expect(bodies[0]).toMatchObject({ kind: 'folder', path: `/race${round}/2026/june` });
    }
    const root = (await (await fetch(`${gw.url}/api/files?path=/`)).json()) as FolderListing;
    expect(root.entries.map((e) => e.name)).toEqual(['race1', 'race2', 'race3', 'race4', 'race5']);
    const events = (await (await fetch(`${gw.url}/api/events?type=folder.created&limit=100`)).json()) as NebulaEvent[];
    expect(events.map((e) => (e.data as { path: string }).path).filter((p) => p.startsWith('/race1')).sort()).toEqual(['/race1', '/race1/2026', '/race1/2026/june']);
    expect(events).toHaveLength(15);
  });

  it('without parents, exactly one of several concurrent creators wins; the others hear 409 already_exists', async () => {
    const answers = await Promise.all(Array.from({ length: 4 }, () => mkdir('/solo', false)));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409]);
    const refused = answers.find((r) => r.status === 409)!;
    expect(await refused.json()).toEqual({ statusCode: 409, code: 'already_exists', message: '/solo already exists' });
  });

  it('six concurrent uploads into a folder that does not exist yet all land', async () => {
    const files = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const path = join(dir.path, `part-${i}.txt`);
        await writeFile(path, `part ${i}\n`);
        return path;
      }),
    );
    const results = await Promise.allSettled(
      files.map(
        (file, i) =>
          new Promise<void>((resolve, reject) => {
            const upload = new tus.Upload(createReadStream(file), {
              endpoint: `${gw.url}/api/uploads`,
              uploadSize: `part ${i}\n`.length,
              retryDelays: [],
              metadata: { filename: `part-${i}.txt`, folder: '/drop/new/deep' },
              onError: reject,
              onSuccess: () => resolve(),
            });
            upload.start();
          }),
      ),
    );
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(Array(6).fill('ok'));
    const listing = (await (await fetch(`${gw.url}/api/files?path=/drop/new/deep`)).json()) as FolderListing;
    expect(listing.entries.map((e) => e.name)).toEqual(['part-0.txt', 'part-1.txt', 'part-2.txt', 'part-3.txt', 'part-4.txt', 'part-5.txt']);
  });

  it('still refuses to make a folder where a file has the name', async () => {
    const path = join(dir.path, 'plain.txt');
    await writeFile(path, 'x');
    await new Promise<void>((resolve, reject) =>
      new tus.Upload(createReadStream(path), { endpoint: `${gw.url}/api/uploads`, uploadSize: 1, retryDelays: [], metadata: { filename: 'plain.txt' }, onError: reject, onSuccess: () => resolve() }).start(),
    );
    const answers = await Promise.all([mkdir('/plain.txt/sub', true), mkdir('/plain.txt', true)]);
    expect(answers.map((r) => r.status)).toEqual([409, 409]);
    expect(await answers[0]!.json()).toMatchObject({ code: 'not_a_folder', message: '/plain.txt is a file, not a folder' });
  });
});
