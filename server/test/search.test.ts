import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiErrorBody, type EntryDto, type FolderListing, type SearchResults, type VersionDto } from '@nebula/contract';
import { startTestGateway, type TestGateway } from './gateway';

/**
 * The library's search (GET /api/search), the listing's durations and sizes, and GET /api/version,
 * on the real gateway and Postgres. Files are rows put in the database as an upload and the
 * worker's probe leave them: the search reads names, not bytes.
 */
describe('searching the library by name', () => {
  let gw: TestGateway;
  let db: pg.Client;
  const commit = 'c0ffee1'.padEnd(40, '0');

  const search = async (query: string) => {
    const res = await fetch(`${gw.url}/api/search?${query}`);
    return { status: res.status, body: (await res.json()) as SearchResults & ApiErrorBody };
  };
  const paths = async (query: string) => (await search(query)).body.entries.map((e) => e.path);

  async function folder(path: string): Promise<string> {
    const res = await fetch(`${gw.url}/api/folders`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ path, parents: true }) });
    return ((await res.json()) as EntryDto).id;
  }

  /** A finished file as the upload and then the worker leave it (probe: worker/src/media/probe.ts's MediaProbe). */
  async function file(parentId: string, name: string, probe: object | null = null): Promise<void> {
    await db.query(`INSERT INTO entries (id, parent_id, kind, name, size, mime, status, media_status, probe) VALUES ($1, $2, 'file', $3, 1000, 'video/mp4', 'ready', $4, $5)`, [
      randomUUID(),
      parentId,
      name,
      probe ? 'ready' : 'none',
      probe,
    ]);
  }

  beforeAll(async () => {
    gw = await startTestGateway('fs', { NEBULA_COMMIT: commit, NEBULA_RELEASE: '20261203T080000Z-c0ffee1' });
    db = new pg.Client({ connectionString: gw.config.databaseUrl });
    await db.connect();
    const holidays = await folder('/Holidays/2026');
    const work = await folder('/Work');
    await file(holidays, 'Beach Walk.mp4', { container: 'mov,mp4', durationSeconds: 6.04, sizeBytes: 1000, bitRate: null, video: { codec: 'h264', width: 1920, height: 1080, displayWidth: 1080, displayHeight: 1920, rotation: 90 } });
    await file(holidays, 'beach.mp4');
    await file(holidays, 'Café de la Plage.mov');
    await file(work, '100%_done.txt');
    await file(work, '100x done.txt');
    await file(work, 'back\\slash.txt');
    await file(work, 'sunset on the BEACH.mkv');
  });

  afterAll(async () => {
    await db?.end();
    await gw?.stop();
  });

  it('finds a part of a name in every folder, whatever its case, best matches first, each with its path', async () => {
    const { status, body } = await search('q=beach');
    expect(status).toBe(200);
    // The exact name, then names that start with it, then the rest.
    expect(body.entries.map((e) => e.path)).toEqual(['/Holidays/2026/beach.mp4', '/Holidays/2026/Beach Walk.mp4', '/Work/sunset on the BEACH.mkv']);
    expect(body).toMatchObject({ q: 'beach', total: 3, nextOffset: null });
    expect(await paths('q=BEACH%20WALK')).toEqual(['/Holidays/2026/Beach Walk.mp4']);
    // Folders are found too.
    expect(await paths('q=2026')).toEqual(['/Holidays/2026']);
    expect(await paths('q=nothing-like-it')).toEqual([]);
  });

  it('ignores accents both ways', async () => {
    expect(await paths('q=cafe')).toEqual(['/Holidays/2026/Café de la Plage.mov']);
    expect(await paths('q=PLAGÉ')).toEqual(['/Holidays/2026/Café de la Plage.mov']);
  });

  it('takes % _ and \\ as the characters they are, not as wildcards', async () => {
    expect(await paths(`q=${encodeURIComponent('100%_')}`)).toEqual(['/Work/100%_done.txt']);
    expect(await paths('q=_')).toEqual(['/Work/100%_done.txt']);
    expect(await paths(`q=${encodeURIComponent('%')}`)).toEqual(['/Work/100%_done.txt']);
    expect(await paths(`q=${encodeURIComponent('k\\s')}`)).toEqual(['/Work/back\\slash.txt']);
    // Full-width ％ and ＿ fold to % and _ (unaccent): still the characters, never wildcards.
    expect(await paths(`q=${encodeURIComponent('％')}`)).toEqual(['/Work/100%_done.txt']);
    expect(await paths(`q=${encodeURIComponent('0％＿d')}`)).toEqual(['/Work/100%_done.txt']);
  });

  it('pages with limit and offset', async () => {
    const first = (await search('q=.&limit=3')).body;
    expect(first.total).toBe(7);
    expect(first.entries).toHaveLength(3);
    expect(first.nextOffset).toBe(3);
    const second = (await search('q=.&limit=3&offset=3')).body;
    const third = (await search('q=.&limit=3&offset=6')).body;
    expect(third.nextOffset).toBeNull();
    const all = [...first.entries, ...second.entries, ...third.entries].map((e) => e.path);
    expect(new Set(all).size).toBe(7);
    expect((await search('q=.&offset=50')).body).toMatchObject({ entries: [], total: 7, nextOffset: null });
  });

  it('refuses an empty query and bad paging with a clear code', async () => {
    for (const query of ['', 'q=', 'q=%20%20']) {
      const { status, body } = await search(query);
      expect(status, query).toBe(400);
      expect(body.code).toBe('empty_query');
      expect(body.message).toMatch(/what to search for/);
    }
    expect((await search(`q=${'a'.repeat(256)}`)).body.code).toBe('query_too_long');
    expect((await search('q=a&limit=0')).status).toBe(400);
    expect((await search('q=a&offset=-1')).body.message).toBe('offset must be a whole number of 0 or more');
  });

  it('answers from the trigram index, not by reading every row', async () => {
    await db.query('SET enable_seqscan = off');
    const plan: { 'QUERY PLAN': string }[] = (await db.query(`EXPLAIN SELECT id FROM entries WHERE nebula_fold(name) LIKE nebula_fold('%beach%')`)).rows;
    expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toContain('entries_name_search_idx');
  });

  it('lists a video with its length and its picture size as shown', async () => {
    const listing = (await (await fetch(`${gw.url}/api/files?path=/Holidays/2026`)).json()) as FolderListing;
    const walk = listing.entries.find((e) => e.name === 'Beach Walk.mp4')!;
    // A portrait phone video, stored turned: shown 1080 wide, 1920 high.
    expect(walk.media).toEqual({ status: 'ready', error: null, durationSeconds: 6.04, width: 1080, height: 1920 });
    const plain = listing.entries.find((e) => e.name === 'beach.mp4')!;
    expect(plain.media).toEqual({ status: 'none', error: null, durationSeconds: null, width: null, height: null });
  });

  it('says which version and commit run', async () => {
    const version = (await (await fetch(`${gw.url}/api/version`)).json()) as VersionDto;
    expect(version).toMatchObject({ version: '0.1.0', commit, release: '20261203T080000Z-c0ffee1' });
    expect(Date.parse(version.startedAt)).not.toBeNaN();
  });
});
