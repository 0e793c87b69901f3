import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSubject, type EntryDto } from '@nebula/contract';
import { startTestGateway, type TestGateway } from './gateway';

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('an upload whose last PATCH could not finish it (found by ops/test/chaos.test.ts)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway('fs');
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const sql = async (text: string) => {
    const client = new pg.Client({ connectionString: gw.config.databaseUrl });
    await client.connect();
    await client.query(text);
    await client.end();
  };

  it('is finished when the client asks how far it got, so a client that counts it done is right', async () => {
    const bytes = Buffer.from('every byte arrived, but the file was never recorded');
    const created = await fetch(`${gw.url}/api/uploads`, {
      method: 'POST',
      headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': String(bytes.length), 'Upload-Metadata': `filename ${b64('late.txt')}` },
    });
    expect(created.status).toBe(201);
    const location = new URL(created.headers.get('location')!, gw.url).toString();

    // The database fails while the last PATCH finishes the upload (as when Postgres is killed then).
    await sql('ALTER TABLE events RENAME TO events_away');
    try {
      const patch = await fetch(location, {
        method: 'PATCH',
        headers: { 'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
        body: bytes,
      });
      expect(patch.status).toBeGreaterThanOrEqual(500);
    } finally {
      await sql('ALTER TABLE events_away RENAME TO events');
    }
    expect(((await (await fetch(`${gw.url}/api/files/lookup?path=/late.txt`)).json()) as EntryDto).status).toBe('uploading');

    // tus-js-client resumes with HEAD; an offset at the end means "done" to it.
    const head = await fetch(location, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } });
    expect(head.headers.get('upload-offset')).toBe(String(bytes.length));
    const entry = (await (await fetch(`${gw.url}/api/files/lookup?path=/late.txt`)).json()) as EntryDto;
    expect(entry.status).toBe('ready');
    expect(Buffer.from(await (await fetch(`${gw.url}/api/files/${entry.id}/content`)).arrayBuffer()).toString()).toBe(bytes.toString());
    const completed = (await (await fetch(`${gw.url}/api/events?type=upload.completed&subject=${fileSubject(entry.id)}`)).json()) as unknown[];
    expect(completed).toHaveLength(1);
  });
});
