import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as undici from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error bin/undici-lean.mjs is plain JavaScript, put in the bundle by bin/bundle.js.
import * as lean from '../bin/undici-lean.mjs';

const leanUndici = lean as unknown as Pick<typeof undici, 'Agent' | 'request'>;

/**
 * The bundle's `undici` (bin/undici-lean.mjs: Agent and request() alone) against undici's own: the
 * CLI's requests (api-client.ts) must go out and come back the same through both.
 */
describe("the bundle's undici (Agent and request() alone)", () => {
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] });
        res.end(JSON.stringify({ method: req.method, url: req.url, range: req.headers.range ?? null, body }));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const asked = async (client: Pick<typeof undici, 'Agent' | 'request'>, path: string, options: { method?: undici.Dispatcher.HttpMethod; body?: string; headers?: Record<string, string> } = {}) => {
    const dispatcher = new client.Agent({ connectTimeout: 10_000, bodyTimeout: 0, headersTimeout: 60_000 });
    try {
      const answer = await client.request(`${origin}${path}`, { dispatcher, ...options });
      return { status: answer.statusCode, cookies: answer.headers['set-cookie'], seen: (await answer.body.json()) as Record<string, unknown> };
    } finally {
      await dispatcher.close();
    }
  };

  it.each([
    ['a GET with a query', '/api/files?path=%2Fa%20b&limit=5', {}],
    ['a ranged GET', '/api/files/1/content', { headers: { range: 'bytes=5-' } }],
    ['a POST with a JSON body', '/api/folders', { method: 'POST' as const, body: '{"path":"/x","parents":true}', headers: { 'content-type': 'application/json' } }],
    ['a DELETE answered 404', '/missing', { method: 'DELETE' as const }],
  ])('sends %s as undici does', async (_what, path, options) => {
    const through = await asked(leanUndici, path, options);
    expect(through).toEqual(await asked(undici, path, options));
    expect(through.seen.url).toBe(path);
  });

  it('refuses a request without the dispatcher the CLI always passes', () => {
    expect(() => leanUndici.request(`${origin}/`, {} as never)).toThrow(/dispatcher/);
  });
});
