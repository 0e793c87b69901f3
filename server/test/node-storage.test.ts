// Join tokens and the object store for worker nodes, through the real gateway (fs driver) on real
// Postgres and Redis, with the gateway storage client a joined node uses.
import { createHash } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewNodeTokenDto, NodeJoinDto, NodeTokenDto } from '@nebula/contract';
import { GatewayObjectStorage, GatewayStorageError, ObjectNotFoundError } from '@nebula/shared/storage';
import { startTestGateway, type TestGateway } from './gateway';

const MiB = 1024 * 1024;

describe('worker nodes: join tokens and the object store through the gateway (fs driver)', () => {
  let gateway: TestGateway;
  let made: NewNodeTokenDto;
  let storage: GatewayObjectStorage;
  const objects = () => gateway.config.storage.driver === 'fs' && gateway.config.storage.root;

  const api = (path: string, init: RequestInit = {}) => fetch(`${gateway.url}${path}`, init);
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    gateway = await startTestGateway('fs');
    const res = await api('/api/nodes/tokens', { method: 'POST', headers: json, body: JSON.stringify({ name: 'desk' }) });
    expect(res.status).toBe(201);
    made = (await res.json()) as NewNodeTokenDto;
    storage = new GatewayObjectStorage({ server: gateway.url, token: made.token });
    // An original, as an upload leaves it.
    await mkdir(join(objects() as string, 'originals'), { recursive: true });
    await writeFile(join(objects() as string, 'originals', 'f1'), Buffer.from('0123456789'));
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
  });

  it('makes a token that is shown once: the list and the database hold its hash, never the token', async () => {
    expect(made).toMatchObject({ name: 'desk', createdBy: null, lastUsedAt: null });
    expect(made.token).toMatch(/^nbt_/);
    const listed = (await (await api('/api/nodes/tokens')).json()) as NodeTokenDto[];
    expect(listed).toEqual([{ id: made.id, name: 'desk', createdAt: made.createdAt, createdBy: null, lastUsedAt: null, lastUsedBy: null }]);
    expect(JSON.stringify(listed)).not.toContain(made.token);
    const db = new pg.Client({ connectionString: gateway.config.databaseUrl });
    await db.connect();
    const { rows } = await db.query('SELECT * FROM node_tokens');
    await db.end();
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toBe(createHash('sha256').update(made.token).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(made.token);
  });

  it('answers a join with the queue and database as the node reached the gateway, and objects through the gateway', async () => {
    const res = await api('/api/nodes/join', { method: 'POST', headers: { ...json, authorization: `Bearer ${made.token}` }, body: JSON.stringify({ name: 'desk' }) });
    expect(res.status).toBe(201);
    const joined = (await res.json()) as NodeJoinDto;
    const port = (url: string) => new URL(url).port;
    expect(joined).toEqual({
      version: '0.1.0',
      redisUrl: expect.stringMatching(new RegExp(`^redis://127\\.0\\.0\\.1:${port(gateway.config.redisUrl)}`)),
      databaseUrl: gateway.config.databaseUrl,
      storage: { driver: 'gateway' },
    });
    const [token] = (await (await api('/api/nodes/tokens')).json()) as NodeTokenDto[];
    expect(token).toMatchObject({ lastUsedBy: 'desk', lastUsedAt: expect.any(String) });
  });

  it('refuses a join without a token, with a wrong one, and with one that cannot be a token, each with its code', async () => {
    const join = (headers: Record<string, string>) => api('/api/nodes/join', { method: 'POST', headers: { ...json, ...headers }, body: '{}' });
    const none = await join({});
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ code: 'join_token_required' });
    for (const wrong of [`${made.token.slice(0, -2)}zz`, 'not-a-token']) {
      const res = await join({ authorization: `Bearer ${wrong}` });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        statusCode: 401,
        code: 'join_token_invalid',
        message: 'this server does not know that join token (it is wrong, or was revoked): make a new one with `nebula node token`',
      });
    }
  });

  it('reads an original whole and by range, and says not found as ObjectNotFoundError', async () => {
    expect((await readAll(await storage.get('originals/f1'))).toString()).toBe('0123456789');
    expect((await readAll(await storage.get('originals/f1', { start: 3, end: 5 }))).toString()).toBe('345');
    expect((await readAll(await storage.get('originals/f1', { start: 9, end: 9 }))).toString()).toBe('9');
    expect(await storage.stat('originals/f1')).toMatchObject({ key: 'originals/f1', size: 10, modified: expect.any(Date) });
    expect(await storage.stat('originals/none')).toBeNull();
    await expect(storage.get('originals/none')).rejects.toBeInstanceOf(ObjectNotFoundError);
    await expect(storage.get('originals/none', { start: 0, end: 3 })).rejects.toMatchObject({ name: 'ObjectNotFoundError', key: 'originals/none' });
  });

  it('streams a multi-MB rendition up and back, byte for byte, lists and deletes renditions', async () => {
    const size = 9 * MiB + 777;
    const stat = await storage.put('hls/f1/run-a/seg_1.m4s', generated(size), { contentType: 'video/mp4' });
    expect(stat).toMatchObject({ key: 'hls/f1/run-a/seg_1.m4s', size });
    expect(await digest(await storage.get('hls/f1/run-a/seg_1.m4s'))).toEqual(await digest(generated(size)));
    const middle = await readAll(await storage.get('hls/f1/run-a/seg_1.m4s', { start: 5 * MiB, end: 5 * MiB + 99 }));
    expect(middle.equals((await readAll(generated(size))).subarray(5 * MiB, 5 * MiB + 100))).toBe(true);

    await storage.put('hls/f1/run-a/index.m3u8', Readable.from([Buffer.from('#EXTM3U')]));
    await storage.put('hls/f1/master.m3u8', Readable.from([Buffer.from('#EXTM3U')]));
    await storage.put('posters/f1.jpg', Readable.from([Buffer.from('jpeg')]));
    expect((await collect(storage.list('hls/f1/'))).map((o) => [o.key, o.size])).toEqual([
      ['hls/f1/master.m3u8', 7],
      ['hls/f1/run-a/index.m3u8', 7],
      ['hls/f1/run-a/seg_1.m4s', size],
    ]);
    expect(await storage.deletePrefix('hls/f1/run-a/')).toBe(2);
    await storage.delete('posters/f1.jpg');
    expect(await storage.stat('posters/f1.jpg')).toBeNull();
    expect((await collect(storage.list('hls/f1/'))).map((o) => o.key)).toEqual(['hls/f1/master.m3u8']);
  });

  it('streams an upload: bytes reach the server before the body has ended, and a body that breaks leaves nothing', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    async function* slow() {
      yield Buffer.alloc(2 * MiB, 1);
      await held;
      yield Buffer.alloc(MiB, 2);
    }
    const putting = storage.put('hls/f2/seg.m4s', Readable.from(slow()));
    // The first 2 MiB are on the server's disk (its partial file) while the body is still open.
    const partial = join(objects() as string, '.partial');
    await expect.poll(async () => {
      const names = await readdir(partial).catch(() => [] as string[]);
      const { statSync } = await import('node:fs');
      return names.reduce((sum, name) => sum + statSync(join(partial, name)).size, 0);
    }, { timeout: 20_000 }).toBe(2 * MiB);
    release();
    expect(await putting).toMatchObject({ size: 3 * MiB });

    async function* broken() {
      yield Buffer.alloc(MiB, 3);
      throw new Error('the encoder died');
    }
    await expect(storage.put('hls/f2/broken.m4s', Readable.from(broken()))).rejects.toThrow('the encoder died');
    await expect.poll(() => storage.stat('hls/f2/broken.m4s'), { timeout: 10_000 }).toBeNull();
    await expect.poll(async () => readdir(partial), { timeout: 10_000 }).toEqual([]);
  });

  it('keeps a node to the keys a worker needs: no writing originals, no whole prefixes, nothing else', async () => {
    const refused = async (work: Promise<unknown>) => {
      const error = (await work.then(() => null, (e: unknown) => e)) as GatewayStorageError;
      expect(error).toBeInstanceOf(GatewayStorageError);
      return { status: error.status, code: error.code };
    };
    const forbidden = { status: 403, code: 'key_not_allowed' };
    expect(await refused(storage.put('originals/f1', Readable.from([Buffer.from('x')])))).toEqual(forbidden);
    expect(await refused(storage.delete('originals/f1'))).toEqual(forbidden);
    expect(await refused(storage.get('.partial/x'))).toEqual(forbidden);
    expect(await refused(storage.deletePrefix('hls/'))).toEqual(forbidden);
    expect(await refused(storage.deletePrefix(''))).toEqual(forbidden);
    expect(await refused(storage.deletePrefix('hls/f'))).toEqual(forbidden);
    expect(await refused(collect(storage.list('posters/')))).toEqual(forbidden);
    expect(await refused(collect(storage.list('originals/')))).toEqual(forbidden);
    // Raw requests that climb out of the store are not keys at all.
    const climb = await api('/api/nodes/storage/hls/..%2F..%2Fetc/passwd', { headers: { authorization: `Bearer ${made.token}` } });
    expect(climb.status).toBe(400);
    expect((await readAll(await storage.get('originals/f1'))).toString()).toBe('0123456789');
    // A body the gateway's JSON parser would swallow is refused, not stored as an empty object.
    const asJson = await api('/api/nodes/storage/hls/f4/data.json', { method: 'PUT', headers: { authorization: `Bearer ${made.token}`, ...json }, body: '{"a":1}' });
    expect(asJson.status).toBe(400);
    expect(await storage.stat('hls/f4/data.json')).toBeNull();
  });

  it('refuses every storage request without the token, and all of them once the token is revoked', async () => {
    const bare = await api('/api/nodes/storage/originals/f1');
    expect(bare.status).toBe(401);
    expect(await bare.json()).toMatchObject({ code: 'join_token_required' });
    const put = await api('/api/nodes/storage/hls/f3/x', { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: 'x' });
    expect(put.status).toBe(401);

    const res = await api(`/api/nodes/tokens/${made.id}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await (await api('/api/nodes/tokens')).json()).toEqual([]);
    await expect(storage.get('originals/f1')).rejects.toMatchObject({ status: 401, code: 'join_token_invalid' });
    await expect(storage.check()).rejects.toMatchObject({ status: 401, code: 'join_token_invalid' });
    const again = await api(`/api/nodes/tokens/${made.id}`, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ code: 'not_found' });
  });
});

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function digest(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

function generated(size: number): Readable {
  async function* chunks() {
    for (let offset = 0; offset < size; offset += 64 * 1024) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, size - offset));
      for (let i = 0; i < chunk.length; i++) chunk[i] = Math.imul(offset + i, 2654435761) >>> 24;
      yield chunk;
    }
  }
  return Readable.from(chunks());
}
