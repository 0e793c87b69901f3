import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiErrorBody, EntryDto } from '@nebula/contract';
import { UploadsService } from '../src/uploads/uploads.service';
import { startTestGateway, type TestGateway } from './gateway';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * A creation reserves its name in Postgres, then tus records the upload in its store. A gateway
 * killed between the two (ops/test/chaos.test.ts did it) left a name that every retry of the same
 * upload was refused with 409 "your unfinished upload", for the 24 hours until it expired: the
 * client had never got its URL, and the store knew nothing to resume.
 */
describe.each(['fs', 's3'] as const)('a name reserved by a creation that died before the store recorded it (%s driver)', (driver) => {
  let gw: TestGateway;
  let db: pg.Client;

  beforeAll(async () => {
    gw = await startTestGateway(driver);
    db = new pg.Client({ connectionString: gw.config.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await gw?.stop();
  });

  const create = (name: string, bytes: Buffer) =>
    fetch(`${gw.url}/api/uploads`, {
      method: 'POST',
      headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': String(bytes.length), 'Upload-Metadata': `filename ${b64(name)},sha256 ${b64(sha256(bytes))}` },
    });
  const lookup = async (name: string) => fetch(`${gw.url}/api/files/lookup?path=/${encodeURIComponent(name)}`);

  /**
   * What reserve() writes at a creation, and nothing of tus: a gateway killed before its store
   * recorded the upload. `createdBeforeThisGateway`: by an earlier gateway process, or by this one.
   */
  async function orphan(name: string, bytes: Buffer, options: { createdBeforeThisGateway: boolean }): Promise<string> {
    const id = randomUUID();
    await db.query(
      `INSERT INTO entries (id, parent_id, kind, name, size, mime, storage_key, status, created_at)
       VALUES ($1, NULL, 'file', $2, $3, 'application/octet-stream', $4, 'uploading', now() - $5::interval)`,
      [id, name, bytes.length, `originals/${id}`, options.createdBeforeThisGateway ? '1 hour' : '0'],
    );
    return id;
  }

  it('is taken by the retry of that upload, which then finishes byte-exact', async () => {
    const bytes = Buffer.from('the bytes of a creation whose gateway was killed');
    const dead = await orphan('retried.bin', bytes, { createdBeforeThisGateway: true });

    const again = await create('retried.bin', bytes);
    expect(again.status, await again.clone().text()).toBe(201);
    const location = new URL(again.headers.get('location')!, gw.url).toString();
    expect(location).not.toContain(dead);
    const patch = await fetch(location, {
      method: 'PATCH',
      headers: { 'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
      body: bytes,
    });
    expect(patch.status).toBe(204);
    const entry = (await (await lookup('retried.bin')).json()) as EntryDto;
    expect(entry.status).toBe('ready');
    expect(Buffer.from(await (await fetch(`${gw.url}/api/files/${entry.id}/content`)).arrayBuffer()).equals(bytes)).toBe(true);
    expect((await db.query('SELECT 1 FROM entries WHERE id = $1', [dead])).rowCount).toBe(0);
  });

  it('is left alone while a creation of this gateway may still be on its way to the store', async () => {
    const bytes = Buffer.from('a creation still in flight');
    await orphan('in-flight.bin', bytes, { createdBeforeThisGateway: false });
    const again = await create('in-flight.bin', bytes);
    expect(again.status).toBe(409);
    expect(((await again.json()) as ApiErrorBody).code).toBe('upload_in_progress');
  });

  it('is not taken while the store has the upload: that one is resumed, not replaced', async () => {
    const bytes = Buffer.from('an upload the store knows');
    const created = await create('known.bin', bytes);
    const id = created.headers.get('location')!.split('/').pop()!;
    await db.query(`UPDATE entries SET created_at = now() - interval '1 hour' WHERE id = $1`, [id]);
    // Other bytes under the same name: not the same upload, so no resume either.
    const other = await create('known.bin', Buffer.from('other bytes under the same name'));
    expect(other.status).toBe(409);
    expect((await db.query(`SELECT status FROM entries WHERE id = $1`, [id])).rows).toEqual([{ status: 'uploading' }]);
  });

  it('is freed by the janitor when nobody retries it', async () => {
    await orphan('abandoned.bin', Buffer.from('nobody comes back for this one'), { createdBeforeThisGateway: true });
    expect((await lookup('abandoned.bin')).status).toBe(200);
    expect(await gw.app.get(UploadsService).removeExpired()).toBeGreaterThanOrEqual(1);
    expect((await lookup('abandoned.bin')).status).toBe(404);
    // Unfinished uploads the store knows stay until they expire.
    expect((await lookup('known.bin')).status).toBe(200);
  });
});
