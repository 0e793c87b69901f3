import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, closeSync, writeSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, tempDir } from '../../ops/test-support/services';
import { startTestGateway, type TestGateway } from './gateway';
import { TcpHop } from '../../ops/test-support/tcp-hop';
import pg from 'pg';

const TUS = { 'Tus-Resumable': '1.0.0' };
const MiB = 1024 * 1024;

/**
 * A TCP hop in front of the real Postgres that the test can cut and mend, as a network cut or a
 * Postgres restart would: the gateway's connections die and new ones are refused.
 */
function leaksNothing(body: string, port: number): void {
  expect(body).not.toMatch(/127\.0\.0\.1|localhost|ECONNREFUSED|::1/);
  expect(body).not.toContain(String(port));
  expect(body).not.toMatch(/\bat \w+ \(/); // no stack frames
}

describe('Postgres unreachable: 503 with a code, never the driver, host or port', () => {
  let gw: TestGateway;
  let cable: TcpHop;
  let pgPort: number;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    // A real database of this file's own, reached through the cable.
    db = await createTestDatabase();
    const url = new URL(db.url);
    pgPort = Number(url.port);
    cable = new TcpHop({ host: url.hostname, port: pgPort });
    await cable.open();
    url.port = String(cable.port);
    gw = await startTestGateway('fs', { DATABASE_URL: url.toString() });
  });
  afterAll(async () => {
    await gw?.stop();
    await cable?.cut().catch(() => undefined);
    await db?.drop();
  });

  it('answers API reads and tus creations with 503 while it is down, and recovers when it is back', async () => {
    expect((await fetch(`${gw.url}/api/files?path=/`)).status).toBe(200);
    await cable.cut();
    const read = await fetch(`${gw.url}/api/files?path=/`);
    const readBody = await read.text();
    expect(read.status).toBe(503);
    expect(JSON.parse(readBody)).toMatchObject({ statusCode: 503, code: 'database_unavailable', message: expect.stringMatching(/^the database \(Postgres\)/) });
    leaksNothing(readBody, pgPort);
    leaksNothing(readBody, cable.port);

    const create = await fetch(`${gw.url}/api/uploads`, { method: 'POST', headers: { ...TUS, 'Upload-Length': '10', 'Upload-Metadata': `filename ${Buffer.from('a.bin').toString('base64')}` } });
    const createBody = await create.text();
    expect(create.status).toBe(503);
    expect(create.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(createBody)).toMatchObject({ statusCode: 503, code: expect.stringMatching(/_unavailable$/) });
    leaksNothing(createBody, cable.port);

    await cable.open();
    await expect.poll(async () => (await fetch(`${gw.url}/api/files?path=/`)).status, { timeout: 20_000 }).toBe(200);
  });

  it('keeps an upload whose HEAD meets Postgres down: 423, so tus-js-client asks again instead of starting over', async () => {
    const bytes = randomBytes(4 * MiB);
    const methods: string[] = [];
    const answers: string[] = [];
    let cut = false;
    const done = new Promise<string>((resolve, reject) => {
      const upload: tus.Upload = new tus.Upload(bytes, {
        endpoint: `${gw.url}/api/uploads`,
        uploadSize: bytes.length,
        chunkSize: MiB,
        metadata: { filename: 'kept.bin' },
        retryDelays: [0, 500, 1000, 1000, 1000, 2000, 2000, 2000, 2000],
        // Postgres goes away before the second chunk, for 3 s, and with it every HEAD's lookup of the upload.
        onBeforeRequest: async (req) => {
          methods.push(req.getMethod());
          if (!cut && methods.filter((m) => m === 'PATCH').length === 2) {
            cut = true;
            await cable.cut();
            setTimeout(() => void cable.open(), 3000);
          }
        },
        onAfterResponse: (req, res) => void answers.push(`${req.getMethod()} ${res.getStatus()}`),
        onError: reject,
        onSuccess: () => resolve(upload.url!),
      });
      upload.start();
    });
    const url = await done;
    expect(answers, 'the HEADs while Postgres was down').toContain('HEAD 423');
    // One creation: the upload went on from where it was.
    expect(methods.filter((m) => m === 'POST'), methods.join(' ')).toEqual(['POST']);
    const id = url.split('/').pop()!;
    expect(Buffer.from(await (await fetch(`${gw.url}/api/files/${id}/content`)).arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('hands live listeners the events committed while its own connection was down, once it is back', async () => {
    // A live event stream: its events come from the gateway's one LISTEN connection (the event feed).
    const controller = new AbortController();
    const seen: string[] = [];
    const res = await fetch(`${gw.url}/api/events/stream`, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
    void (async () => {
      for await (const chunk of res.body!) for (const match of Buffer.from(chunk).toString().matchAll(/"path":"([^"]+)"/g)) seen.push(match[1]!);
    })().catch(() => undefined);
    const mkdir = (path: string) => fetch(`${gw.url}/api/folders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path }) });
    expect((await mkdir('/before')).status).toBe(201);
    await expect.poll(() => seen, { timeout: 10_000 }).toContain('/before');

    // The gateway's connections die; another writer (a second gateway, the worker) goes on.
    await cable.cut();
    const direct = new pg.Client({ connectionString: db.url });
    await direct.connect();
    await direct.query(`INSERT INTO events (type, subject, data) VALUES ('folder.created', 'folder:00000000-0000-4000-8000-000000000001', '{"path":"/during"}')`);
    await direct.end();
    await cable.open();

    await expect.poll(() => seen, { timeout: 20_000 }).toContain('/during');
    controller.abort();
  });
});

/** A real full disk: a small tmpfs as the data folder (needs root, as the rest of the suite's services do). */
const canMount = (() => {
  try {
    execFileSync('mount', ['--version'], { stdio: 'ignore' });
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
})();

describe.skipIf(!canMount)('the store runs out of space mid-upload: 507, and the upload resumes once there is room', () => {
  let gw: TestGateway;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let mounted = false;
  beforeAll(async () => {
    dir = await tempDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir.path]);
    mounted = true;
    mkdirSync(join(dir.path, 'data'));
    gw = await startTestGateway('fs', { NEBULA_DATA_DIR: join(dir.path, 'data') });
  });
  afterAll(async () => {
    await gw?.stop();
    if (mounted) execFileSync('umount', ['-l', dir.path]);
    await dir?.remove();
  });

  it('answers the PATCH that hits ENOSPC with 507 storage_full, then takes the rest after space is freed', async () => {
    const bytes = randomBytes(6 * MiB);
    const created = await fetch(`${gw.url}/api/uploads`, { method: 'POST', headers: { ...TUS, 'Upload-Length': String(bytes.length), 'Upload-Metadata': `filename ${Buffer.from('big.bin').toString('base64')}` } });
    expect(created.status).toBe(201);
    const url = new URL(created.headers.get('location')!, gw.url).toString();
    // Something else fills the disk meanwhile.
    const filler = join(dir.path, 'filler');
    const fd = openSync(filler, 'w');
    try {
      const block = Buffer.alloc(MiB);
      for (;;) writeSync(fd, block);
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      closeSync(fd);
    }
    const full = await fetch(url, { method: 'PATCH', headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' }, body: new Uint8Array(bytes) });
    expect(full.status).toBe(507);
    expect(await full.json()).toMatchObject({ statusCode: 507, code: 'storage_full' });

    rmSync(filler);
    const head = await fetch(url, { method: 'HEAD', headers: TUS });
    const offset = Number(head.headers.get('upload-offset'));
    const rest = await fetch(url, { method: 'PATCH', headers: { ...TUS, 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' }, body: new Uint8Array(bytes.subarray(offset)) });
    expect(rest.status).toBe(204);
    const id = url.split('/').pop()!;
    const back = Buffer.from(await (await fetch(`${gw.url}/api/files/${id}/content`)).arrayBuffer());
    expect(back.equals(bytes)).toBe(true);
  });
});
