import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { get, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../ops/test-support/services';
import { HttpExceptionFilter } from '../src/http/http-exception.filter';
import { WebDist } from '../src/web/web-dist';
import { WebController } from '../src/web/web.controller';

/** The web UI's routes on a folder of our own that stands in for web/dist (ops/test/web-ui.test.ts serves the real build). */
describe('the gateway serving web/dist', () => {
  let dist: Awaited<ReturnType<typeof tempDir>>;
  let app: INestApplication;
  let url: string;
  const script = 'console.log("nebula web ui");\n'.repeat(50);

  beforeAll(async () => {
    dist = await tempDir();
    const module = await Test.createTestingModule({ controllers: [WebController], providers: [{ provide: WebDist, useValue: new WebDist(dist.path) }] }).compile();
    app = module.createNestApplication({ logger: false });
    app.useGlobalFilters(new HttpExceptionFilter());
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await app?.close();
    await dist?.remove();
  });

  it('explains how to build the UI when it was never built, and answers the API as before', async () => {
    const res = await fetch(`${url}/browse/videos`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const page = await res.text();
    expect(page).toContain('The web UI is not built');
    expect(page).toContain('npm run build -w @nebula/web');
    expect(page).toContain(dist.path);
    expect((await fetch(`${url}/api/files`)).status).toBe(404);
  });

  it('serves the shell at every UI URL and the hashed assets for good, gzipped when asked', async () => {
    await mkdir(join(dist.path, 'assets'), { recursive: true });
    await writeFile(join(dist.path, 'index.html'), '<!doctype html><div id="root"></div>');
    await writeFile(join(dist.path, 'assets', 'index-Ab12_cd.js'), script);
    for (const path of ['/', '/browse', '/browse/a%20b/c', '/watch/0b7e4f0e-5d7a-4a57-9d9c-0c3f1b7f0a11', '/deploys', '/search?q=beach%20walk', '/server']) {
      const res = await fetch(`${url}${path}`, { headers: { 'accept-encoding': 'identity' } });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toBe('<!doctype html><div id="root"></div>');
    }
    const head = await fetch(`${url}/`, { method: 'HEAD', headers: { 'accept-encoding': 'identity' } });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('36');

    const plain = await fetch(`${url}/assets/index-Ab12_cd.js`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(plain.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await plain.text()).toBe(script);
    const etag = plain.headers.get('etag')!;
    expect((await fetch(`${url}/assets/index-Ab12_cd.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);

    // fetch() would unzip by itself: node:http shows the bytes as they travel.
    const zipped = await rawGet(`${url}/assets/index-Ab12_cd.js`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('Accept-Encoding');
    const body = zipped.body;
    expect(body.length).toBeLessThan(script.length);
    expect(gunzipSync(body).toString()).toBe(script);
  });

  it('claims no other path: missing assets and stray names get the JSON 404', async () => {
    for (const path of ['/assets/index-gone.js', '/assets/..%2Findex.html', '/index.html', '/favicon.ico', '/browsex', '/watch']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toMatch(/^application\/json/);
    }
    await rm(join(dist.path, 'index.html'));
    expect((await fetch(`${url}/`)).status).toBe(503);
  });
});

function rawGet(url: string, headers: Record<string, string>): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}
