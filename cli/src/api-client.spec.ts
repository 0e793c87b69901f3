import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { API_ROUTES } from '@nebula/contract';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchWaitingOutRestarts } from './api-client';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((done) => (server ? server.close(done) : done(undefined)));
  server = undefined;
});

/** A real HTTP server on 127.0.0.1 that gives the answers in `answers`, one per request, then 200s; counts the requests. */
async function serve(answers: { status: number; body: unknown }[]): Promise<{ url: string; requests: () => number }> {
  let count = 0;
  server = createServer((_req, res) => {
    const answer = answers[count++] ?? { status: 200, body: { ok: true } };
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/files`, requests: () => count };
}

const restarting = { status: 503, body: { statusCode: 503, code: 'database_unavailable', message: 'the database is not answering right now' } };
const waits = [10, 10, 10];
const dispatcher = new Agent();

describe('fetchWaitingOutRestarts', () => {
  it('asks again while a part of the server restarts, and hands back the answer once it is back', async () => {
    const gateway = await serve([restarting, restarting]);
    const said: string[] = [];
    const response = await fetchWaitingOutRestarts(dispatcher, gateway.url, { method: 'GET' }, waits, (answer, ms) => said.push(`${answer.code} ${answer.message} ${ms}`));
    expect(response.status).toBe(200);
    expect(gateway.requests()).toBe(3);
    // Each wait is told (the CLI prints it on stderr), with the server's words.
    expect(said).toEqual(['database_unavailable the database is not answering right now 10', 'database_unavailable the database is not answering right now 10']);
  });

  it('gives the 503 back once its waits are spent', async () => {
    const gateway = await serve([restarting, restarting, restarting, restarting, restarting]);
    const response = await fetchWaitingOutRestarts(dispatcher, gateway.url, { method: 'GET' }, waits);
    expect(response.status).toBe(503);
    expect(JSON.parse(await response.text())).toMatchObject({ code: 'database_unavailable' });
    expect(gateway.requests()).toBe(4);
  });

  it('does not send a write twice: whether the first took effect is unknown', async () => {
    const gateway = await serve([restarting]);
    const response = await fetchWaitingOutRestarts(dispatcher, gateway.url, { method: 'POST', body: '{}' }, waits);
    expect(response.status).toBe(503);
    expect(gateway.requests()).toBe(1);
  });

  it('asks again to make a folder with its parents (mkdir -p: an existing folder is fine), not one without', async () => {
    const gateway = await serve([restarting, restarting]);
    const folders = new URL(API_ROUTES.folders, gateway.url).toString();
    const once = await fetchWaitingOutRestarts(dispatcher, folders, { method: 'POST', body: JSON.stringify({ path: '/a', parents: false }) }, waits);
    expect(once.status).toBe(503);
    expect(gateway.requests()).toBe(1);
    const withParents = await fetchWaitingOutRestarts(dispatcher, folders, { method: 'POST', body: JSON.stringify({ path: '/a/b', parents: true }) }, waits);
    expect(withParents.status).toBe(200);
    expect(gateway.requests()).toBe(3);
  });

  it('hands back at once a 503 that is not a restart (the health report) and any other error', async () => {
    const health = await serve([{ status: 503, body: { status: 'down', parts: { database: 'down' } } }]);
    expect((await fetchWaitingOutRestarts(dispatcher, health.url, { method: 'GET' }, waits)).status).toBe(503);
    expect(health.requests()).toBe(1);
    await new Promise((done) => server!.close(done));
    const broken = await serve([{ status: 500, body: { code: 'internal' } }]);
    expect((await fetchWaitingOutRestarts(dispatcher, broken.url, { method: 'GET' }, waits)).status).toBe(500);
    expect(broken.requests()).toBe(1);
  });

  it('reads the answer as fetch would: headers in any case, a repeated one joined, the body as often as asked', async () => {
    server = createServer((_req, res) => {
      res.setHeader('X-More-Jobs', '3');
      res.setHeader('Vary', ['Origin', 'Accept']);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
    const response = await fetchWaitingOutRestarts(dispatcher, `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/media/jobs`, { method: 'GET' }, waits);
    expect([response.status, response.ok]).toEqual([200, true]);
    expect(response.headers.get('x-more-jobs')).toBe('3');
    expect(response.headers.get('X-More-Jobs')).toBe('3');
    expect(response.headers.get('vary')).toBe('Origin, Accept');
    expect(response.headers.get('retry-after')).toBeNull();
    expect(await response.text()).toBe('{"ok":true}');
    expect(await response.text()).toBe('{"ok":true}');
  });
});
