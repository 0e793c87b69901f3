import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FolderListing } from '@nebula/contract';
import { startTestGateway, type TestGateway } from './gateway';
import { raw } from './raw-http';

const TUS = { 'Tus-Resumable': '1.0.0' };

describe('cross-site rules: Host allow-list, origins, JSON-only changes, no framing', () => {
  let gw: TestGateway;
  let host: string;
  beforeAll(async () => {
    gw = await startTestGateway('fs', { NEBULA_ALLOWED_HOSTS: 'media.home.arpa,*.lan.example', NEBULA_ALLOWED_ORIGINS: 'http://127.0.0.1:5173' });
    host = new URL(gw.url).host;
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const names = (): Promise<string[]> =>
    fetch(`${gw.url}/api/files?path=/`)
      .then((r) => r.json() as Promise<FolderListing>)
      .then((l) => l.entries.map((e) => e.name));

  it('answers its addresses, localhost, tailnet names and configured names', async () => {
    const port = new URL(gw.url).port;
    for (const name of [host, `localhost:${port}`, `[::1]:${port}`, '100.101.102.103', 'nebula.tail1234.ts.net', 'NEBULA.tail1234.TS.NET.', 'media.home.arpa', 'box.lan.example']) {
      const res = await raw(gw.url, 'GET', '/api/me', { Host: name });
      expect(res.status, name).toBe(200);
    }
  });

  it('answers 421 with JSON to any other Host (DNS rebinding), for reads and for uploads', async () => {
    for (const name of ['evil.example', 'evil.example:8080', 'ts.net', 'nebula.ts.net.evil.example', 'lan.example', '127.0.0.1.nip.io', 'a b', '']) {
      const res = await raw(gw.url, 'GET', '/api/files?path=/', { Host: name });
      expect(res.status, JSON.stringify(name)).toBe(421);
      expect(JSON.parse(res.body)).toMatchObject({ statusCode: 421, code: 'misdirected_host' });
    }
    const upload = await raw(gw.url, 'POST', '/api/uploads', { Host: 'rebound.example', ...TUS, 'Upload-Length': '1', 'Upload-Metadata': `filename ${Buffer.from('x').toString('base64')}` });
    expect(upload.status).toBe(421);
    expect(await names()).toEqual([]);
  });

  it('never answers Access-Control-Allow-Origin: * and refuses other origins, with or without preflight', async () => {
    const preflight = await raw(gw.url, 'OPTIONS', '/api/uploads', { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'tus-resumable,upload-length' });
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const upload = await raw(gw.url, 'POST', '/api/uploads', { Origin: 'https://evil.example', ...TUS, 'Upload-Length': '1', 'Upload-Metadata': `filename ${Buffer.from('cross.bin').toString('base64')}` });
    expect(upload.status).toBe(403);
    expect(JSON.parse(upload.body)).toMatchObject({ code: 'cross_origin' });
    const folder = await raw(gw.url, 'POST', '/api/folders', { Origin: 'null', 'Content-Type': 'application/json' }, JSON.stringify({ path: '/x' }));
    expect(folder.status).toBe(403);
    const read = await raw(gw.url, 'GET', '/api/files?path=/', { Origin: 'https://evil.example' });
    expect(read.status).toBe(403);
    expect(await names()).toEqual([]);
    // Plain tus answers (no Origin, as from the CLI) carry no CORS header at all.
    const options = await raw(gw.url, 'OPTIONS', '/api/uploads');
    expect(options.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves its own origin (the web UI, also behind tailscale serve) and a configured one', async () => {
    const own = await raw(gw.url, 'POST', '/api/folders', { Origin: `http://${host}`, 'Content-Type': 'application/json' }, JSON.stringify({ path: '/own' }));
    expect(own.status).toBe(201);
    const served = await raw(gw.url, 'POST', '/api/folders', { Host: 'nebula.tail1234.ts.net', Origin: 'https://nebula.tail1234.ts.net', 'Content-Type': 'application/json' }, JSON.stringify({ path: '/served' }));
    expect(served.status).toBe(201);
    expect(served.headers['access-control-allow-origin']).toBeUndefined();
    const dev = await raw(gw.url, 'OPTIONS', '/api/folders', { Origin: 'http://127.0.0.1:5173', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' });
    expect(dev.status).toBe(204);
    expect(dev.headers['access-control-allow-origin']).toBe('http://127.0.0.1:5173');
    const tusPreflight = await raw(gw.url, 'OPTIONS', '/api/uploads', { Origin: 'http://127.0.0.1:5173', 'Access-Control-Request-Method': 'POST' });
    expect(tusPreflight.status).toBe(204);
    expect(tusPreflight.headers['access-control-allow-origin']).toBe('http://127.0.0.1:5173');
    expect(await names()).toEqual(['own', 'served']);
  });

  it("keeps every rule for a file it has served before (whose bytes it answers in front of Express): other Hosts, other sites' pages, peers outside the tailnet", async () => {
    const body = 'remembered bytes';
    const created = await raw(gw.url, 'POST', '/api/uploads', { ...TUS, 'Upload-Length': String(body.length), 'Upload-Metadata': `filename ${Buffer.from('remembered.txt').toString('base64')}` });
    expect(created.status).toBe(201);
    const at = new URL(String(created.headers.location), gw.url).pathname;
    const sent = await raw(gw.url, 'PATCH', at, { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' }, body);
    expect(sent.status).toBe(204);
    const file = (await (await fetch(`${gw.url}/api/files/lookup?path=/remembered.txt`)).json()) as { id: string };
    const content = `/api/files/${file.id}/content`;
    // Served once, so remembered: what follows is answered from memory when it is answered at all.
    for (let i = 0; i < 2; i++) {
      const ok = await raw(gw.url, 'GET', content, { Range: 'bytes=0-9' });
      expect(ok.status).toBe(206);
      expect(ok.body).toBe('remembered');
      expect(ok.headers).toMatchObject({ 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff', 'content-security-policy': 'sandbox' });
      expect(ok.headers['x-trace-id']).toMatch(/^[0-9a-f]{32}$/);
      expect(ok.headers['x-powered-by']).toBeUndefined();
    }

    const otherHost = await raw(gw.url, 'GET', content, { Host: 'evil.example', Range: 'bytes=0-9' });
    expect(otherHost.status).toBe(421);
    expect(JSON.parse(otherHost.body)).toMatchObject({ code: 'misdirected_host' });
    const otherSite = await raw(gw.url, 'GET', content, { Origin: 'https://evil.example' });
    expect(otherSite.status).toBe(403);
    expect(JSON.parse(otherSite.body)).toMatchObject({ code: 'cross_origin' });
    const outside = await raw(gw.url, 'HEAD', content, { 'X-Forwarded-For': '203.0.113.9' });
    expect(outside.status).toBe(403);
    // A configured origin gets its CORS answer, its own page none.
    const allowed = await raw(gw.url, 'GET', content, { Origin: 'http://127.0.0.1:5173', Range: 'bytes=0-9' });
    expect(allowed.status).toBe(206);
    expect(allowed.headers['access-control-allow-origin']).toBe('http://127.0.0.1:5173');
    expect(allowed.headers['access-control-expose-headers']).toContain('Content-Range');
    const own = await raw(gw.url, 'GET', content, { Origin: `http://${host}`, Range: 'bytes=0-9' });
    expect(own.status).toBe(206);
    expect(own.headers['access-control-allow-origin']).toBeUndefined();
    // A query other than download= goes the usual way, with the same answer.
    const download = await raw(gw.url, 'GET', `${content}?download=1&x=1`, {});
    expect(download.headers['content-disposition']).toMatch(/^attachment;/);
    expect(download.body).toBe(body);
    expect((await fetch(`${gw.url}/api/files/${file.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('takes state changes as JSON only: a plain form cannot create, move or replay', async () => {
    const form = await raw(gw.url, 'POST', '/api/folders', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'path=%2Fform');
    expect(form.status).toBe(415);
    expect(JSON.parse(form.body)).toMatchObject({ statusCode: 415, code: 'unsupported_media_type' });
    const text = await raw(gw.url, 'POST', '/api/folders', { 'Content-Type': 'text/plain' }, '{"path":"/text"}');
    expect(text.status).toBe(415);
    const multipart = await raw(gw.url, 'POST', '/api/folders', { 'Content-Type': 'multipart/form-data; boundary=x' }, '--x\r\nContent-Disposition: form-data; name="path"\r\n\r\n/m\r\n--x--\r\n');
    expect(multipart.status).toBe(415);
    const replay = await raw(gw.url, 'POST', '/api/events/1/replay');
    expect(replay.status).toBe(415);
    const replayForm = await raw(gw.url, 'POST', '/api/events/1/replay', { 'Content-Type': 'application/x-www-form-urlencoded' }, '');
    expect(replayForm.status).toBe(415);
    // The same with JSON gets through to the route (no such event here).
    const replayJson = await raw(gw.url, 'POST', '/api/events/99999999/replay', { 'Content-Type': 'application/json' });
    expect(replayJson.status).toBe(404);
    expect(await names()).toEqual(['own', 'served']);
  });

  it('forbids framing of the web UI and the API', async () => {
    for (const path of ['/', '/browse/x', '/api/health', '/api/files?path=/', '/api/uploads']) {
      const res = await raw(gw.url, path === '/api/uploads' ? 'OPTIONS' : 'GET', path);
      expect(res.headers['x-frame-options'], path).toBe('DENY');
      expect(res.headers['content-security-policy'], path).toContain("frame-ancestors 'none'");
    }
  });
});

describe('NEBULA_TRUSTED_PROXIES= (set but empty) trusts no proxy', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway('fs', { NEBULA_TRUSTED_PROXIES: '', NEBULA_ALLOWED_CIDRS: '100.64.0.0/10' });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('judges a loopback caller by its own address: X-Forwarded-For and Tailscale-User-Login count for nothing', async () => {
    const res = await raw(gw.url, 'GET', '/api/me', { 'X-Forwarded-For': '100.64.0.1', 'Tailscale-User-Login': 'mallory@example.com' });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'forbidden' });
    const upload = await raw(gw.url, 'POST', '/api/uploads', { 'X-Forwarded-For': '100.64.0.1', ...TUS, 'Upload-Length': '1', 'Upload-Metadata': `filename ${Buffer.from('x').toString('base64')}` });
    expect(upload.status).toBe(403);
  });
});
