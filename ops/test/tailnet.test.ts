// Tailnet-only access, end to end: the real gateway process listens on `::` in this network
// namespace; peers in namespaces of their own reach it over veth pairs, one with Tailscale
// addresses (100.64.0.0/10 and fd7a:115c:a1e0::/48), one with a LAN address.
//
// Tailscale's daemon cannot run here. `StandInTailscaled` below stands in for it: an HTTP server
// on a unix socket that answers the LocalAPI's /localapi/v0/whois the way tailscaled does (Host
// check, ip:port lookup, UserProfile.LoginName/DisplayName, 404 for strangers). The gateway reaches
// it through NEBULA_TAILSCALE_SOCKET exactly as it would reach the real socket.
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntryDto, FolderListing } from '@nebula/contract';
import { startNebula, type RunningNebula } from '../test-support/nebula-process';
import { tempDir } from '../test-support/services';
import { whyNoNamespaces } from '../test-support/netns';

const run = promisify(execFile);

const skipReason = whyNoNamespaces();
if (skipReason) console.warn(`tailnet.test.ts skipped: ${skipReason}`);

/** tailscaled's whois, answered from a table (see the comment at the top). */
class StandInTailscaled {
  readonly asked: string[] = [];
  private server?: Server;
  constructor(
    readonly socketPath: string,
    private readonly users: Record<string, { LoginName: string; DisplayName: string }>,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://local-tailscaled.sock');
      if (req.headers.host !== 'local-tailscaled.sock') return void res.writeHead(403).end('invalid localapi request\n');
      if (url.pathname !== '/localapi/v0/whois') return void res.writeHead(404).end('404 page not found\n');
      const addr = url.searchParams.get('addr') ?? '';
      this.asked.push(addr);
      const ip = /^\[(.+)\]:\d+$/.exec(addr)?.[1] ?? /^([\d.]+):\d+$/.exec(addr)?.[1];
      const user = ip ? this.users[ip] : undefined;
      if (!ip) return void res.writeHead(400).end("invalid 'addr' parameter\n");
      if (!user) return void res.writeHead(404).end('no match for IP:port\n');
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ Node: { ID: 7, Name: 'phone.example.ts.net.', Addresses: [`${ip}/32`] }, UserProfile: { ID: 1, ...user }, CapMap: {} }));
    });
    await new Promise<void>((resolve) => this.server!.listen(this.socketPath, resolve));
  }

  async stop(): Promise<void> {
    if (!this.server?.listening) return;
    await new Promise((resolve) => this.server!.close(resolve));
  }
}

interface PeerResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

// Runs inside the peer's namespace: one HTTP request, from a chosen source address when given.
const REQUEST_SCRIPT = `
const http = require('node:http');
const o = JSON.parse(process.argv[1]);
const req = http.request(o.url, { method: o.method, headers: o.headers, localAddress: o.localAddress }, (res) => {
  const chunks = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () => process.stdout.write(JSON.stringify({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() })));
});
req.on('error', (e) => { process.stderr.write(e.message); process.exit(1); });
req.end(o.body === undefined ? undefined : Buffer.from(o.body, 'base64'));
`;

/** One request from inside a network namespace (or from this one when `ns` is null). */
async function requestFrom(
  ns: string | null,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer | string; localAddress?: string } = {},
): Promise<PeerResponse> {
  const args = JSON.stringify({
    url,
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    localAddress: options.localAddress,
    body: options.body === undefined ? undefined : Buffer.from(options.body).toString('base64'),
  });
  const command = ns ? ['ip', ['netns', 'exec', ns, process.execPath, '-e', REQUEST_SCRIPT, args]] : [process.execPath, ['-e', REQUEST_SCRIPT, args]];
  const { stdout } = await run(command[0] as string, command[1] as string[], { timeout: 30_000 });
  return JSON.parse(stdout) as PeerResponse;
}

const json = <T>(response: PeerResponse): T => JSON.parse(response.body) as T;

describe.skipIf(skipReason !== null)('the gateway on a tailnet (Linux network namespaces, veth pairs)', () => {
  const id = randomBytes(3).toString('hex');
  const tailnetNs = `nebula-tail-${id}`;
  const lanNs = `nebula-lan-${id}`;
  const links = { tailnet: `nbt${id}t`, lan: `nbt${id}l` };
  // Small, random subnets per run so parallel runs on one machine do not meet.
  const t = randomInt(0, 32) * 8;
  const r = randomInt(0, 256);
  const tailnet = { gateway: `100.127.${r}.${t + 1}`, phone: `100.127.${r}.${t + 2}`, laptop: `100.127.${r}.${t + 3}`, prefix: 29 };
  const v6 = randomInt(0, 0xffff).toString(16);
  const tailnet6 = { gateway: `fd7a:115c:a1e0:${v6}::1`, phone: `fd7a:115c:a1e0:${v6}::2` };
  const l = randomInt(200, 250);
  const lan = { gateway: `192.168.${l}.${t + 1}`, stranger: `192.168.${l}.${t + 2}`, prefix: 29 };

  let nebula: RunningNebula;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let tailscaled: StandInTailscaled;
  let port: string;

  const ip = (...args: string[]) => run('ip', args);

  beforeAll(async () => {
    dir = await tempDir('nebula-tailnet-');
    tailscaled = new StandInTailscaled(join(dir.path, 'tailscaled.sock'), {
      [tailnet.phone]: { LoginName: 'alice@example.com', DisplayName: 'Alice Example' },
      [tailnet6.phone]: { LoginName: 'alice@example.com', DisplayName: 'Alice Example' },
    });
    await tailscaled.start();

    await ip('netns', 'add', tailnetNs);
    await ip('netns', 'add', lanNs);
    for (const [link, ns] of [
      [links.tailnet, tailnetNs],
      [links.lan, lanNs],
    ] as const) {
      await ip('link', 'add', `${link}0`, 'type', 'veth', 'peer', 'name', `${link}1`);
      await ip('link', 'set', `${link}1`, 'netns', ns);
      await ip('link', 'set', `${link}0`, 'up');
      await ip('-n', ns, 'link', 'set', `${link}1`, 'up');
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    await ip('addr', 'add', `${tailnet.gateway}/${tailnet.prefix}`, 'dev', `${links.tailnet}0`);
    await ip('-n', tailnetNs, 'addr', 'add', `${tailnet.phone}/${tailnet.prefix}`, 'dev', `${links.tailnet}1`);
    await ip('-n', tailnetNs, 'addr', 'add', `${tailnet.laptop}/${tailnet.prefix}`, 'dev', `${links.tailnet}1`);
    // nodad: usable at once, without waiting for duplicate address detection.
    await ip('-6', 'addr', 'add', `${tailnet6.gateway}/64`, 'dev', `${links.tailnet}0`, 'nodad');
    await ip('-n', tailnetNs, '-6', 'addr', 'add', `${tailnet6.phone}/64`, 'dev', `${links.tailnet}1`, 'nodad');
    await ip('addr', 'add', `${lan.gateway}/${lan.prefix}`, 'dev', `${links.lan}0`);
    await ip('-n', lanNs, 'addr', 'add', `${lan.stranger}/${lan.prefix}`, 'dev', `${links.lan}1`);

    // `::` is dual-stack: IPv4 peers arrive as ::ffff:a.b.c.d, which the guard must see through.
    nebula = await startNebula({ env: { NEBULA_HOST: '::', NEBULA_TAILSCALE_SOCKET: tailscaled.socketPath } });
    port = new URL(nebula.url).port;
  });

  afterAll(async () => {
    await nebula?.stop();
    await tailscaled?.stop();
    for (const link of Object.values(links)) await ip('link', 'del', `${link}0`).catch(() => undefined);
    for (const ns of [tailnetNs, lanNs]) await ip('netns', 'del', ns).catch(() => undefined);
    await dir?.remove();
  });

  const onTailnet = (path: string) => `http://${tailnet.gateway}:${port}${path}`;
  const onLan = (path: string) => `http://${lan.gateway}:${port}${path}`;

  it('lets a phone with a 100.x address in, and knows it as its tailnet user (via whois)', async () => {
    const health = await requestFrom(tailnetNs, onTailnet('/api/health'));
    expect(health.status).toBe(200);
    const me = await requestFrom(tailnetNs, onTailnet('/api/me'));
    expect(me.status).toBe(200);
    expect(json(me)).toEqual({ user: 'alice@example.com', name: 'Alice Example', via: 'whois', address: tailnet.phone });
    // tailscaled was asked about the phone's real address and source port.
    expect(tailscaled.asked[0]).toMatch(new RegExp(`^${tailnet.phone.replaceAll('.', '\\.')}:\\d+$`));
  });

  it('lets the same phone in over IPv6 (fd7a:115c:a1e0::/48)', async () => {
    const me = await requestFrom(tailnetNs, `http://[${tailnet6.gateway}]:${port}/api/me`);
    expect(me.status).toBe(200);
    expect(json(me)).toEqual({ user: 'alice@example.com', name: 'Alice Example', via: 'whois', address: tailnet6.phone });
    expect(tailscaled.asked).toContainEqual(expect.stringMatching(new RegExp(`^\\[${tailnet6.phone}\\]:\\d+$`)));
  });

  it('refuses a LAN peer on every route with 403 and a JSON reason, and logs its address', async () => {
    const somewhere = '3f1c2a7e-1b2c-4d5e-8f90-123456789abc';
    const paths = ['/api/health', '/api/me', '/api/files?path=/', `/api/files/${somewhere}/content`, `/hls/${somewhere}/master.m3u8`, '/api/events/stream', '/api/docs', '/'];
    for (const path of paths) {
      const response = await requestFrom(lanNs, onLan(path));
      expect(response.status, path).toBe(403);
      expect(response.headers['content-type'], path).toMatch(/^application\/json/);
      expect(json(response), path).toEqual({
        statusCode: 403,
        code: 'forbidden',
        error: 'forbidden',
        message: `${lan.stranger} is not on the tailnet: this Nebula only answers Tailscale addresses and this machine (NEBULA_ALLOWED_CIDRS). Connect through Tailscale.`,
      });
    }
    const upload = await requestFrom(lanNs, onLan('/api/uploads'), {
      method: 'POST',
      headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '5', 'Upload-Metadata': `filename ${Buffer.from('x.txt').toString('base64')}` },
    });
    expect(upload.status).toBe(403);
    expect(nebula.output()).toContain(`refused ${lan.stranger}: GET /api/health: not in NEBULA_ALLOWED_CIDRS`);
    expect(nebula.output()).toContain(`refused ${lan.stranger}: POST /api/uploads: not in NEBULA_ALLOWED_CIDRS`);
    // Nothing was created by the refused upload.
    const root = await requestFrom(null, `${nebula.url}/api/files?path=/`);
    expect(json<FolderListing>(root).entries.map((e) => e.name)).not.toContain('x.txt');
  });

  it('ignores forwarding and identity headers a LAN peer writes itself', async () => {
    const spoofed = await requestFrom(lanNs, onLan('/api/me'), {
      headers: { 'X-Forwarded-For': tailnet.phone, Forwarded: `for=${tailnet.phone}`, 'Tailscale-User-Login': 'alice@example.com' },
    });
    expect(spoofed.status).toBe(403);
    expect(json<{ message: string }>(spoofed).message).toContain(`${lan.stranger} is not on the tailnet`);
  });

  it('does not let a tailnet peer claim to be someone else with Tailscale-User-* headers', async () => {
    const me = await requestFrom(tailnetNs, onTailnet('/api/me'), { headers: { 'Tailscale-User-Login': 'mallory@example.com', 'Tailscale-User-Name': 'Mallory' } });
    expect(json(me)).toEqual({ user: 'alice@example.com', name: 'Alice Example', via: 'whois', address: tailnet.phone });
  });

  it('records the tailnet user as the owner of the folders and files they create', async () => {
    const folder = await requestFrom(tailnetNs, onTailnet('/api/folders'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ path: '/from-phone' }),
    });
    expect(folder.status).toBe(201);
    expect(json<EntryDto>(folder)).toMatchObject({ path: '/from-phone', kind: 'folder', owner: 'alice@example.com' });

    // tus creation-with-upload, into a folder that does not exist yet (the upload creates it).
    const bytes = 'notes from the phone\n';
    const meta = (k: string, v: string) => `${k} ${Buffer.from(v).toString('base64')}`;
    const created = await requestFrom(tailnetNs, onTailnet('/api/uploads'), {
      method: 'POST',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Length': String(Buffer.byteLength(bytes)),
        'Upload-Metadata': [meta('filename', 'notes.txt'), meta('folder', '/from-phone/today')].join(','),
        'Content-Type': 'application/offset+octet-stream',
      },
      body: bytes,
    });
    expect(created.status, created.body).toBe(201);
    expect(created.headers['upload-offset']).toBe(String(Buffer.byteLength(bytes)));

    const listing = json<FolderListing>(await requestFrom(tailnetNs, onTailnet('/api/files?path=/from-phone')));
    expect(listing.entries.map((e) => [e.name, e.owner])).toEqual([['today', 'alice@example.com']]);
    const today = json<FolderListing>(await requestFrom(tailnetNs, onTailnet('/api/files?path=/from-phone/today')));
    expect(today.entries).toEqual([expect.objectContaining({ name: 'notes.txt', status: 'ready', owner: 'alice@example.com', size: Buffer.byteLength(bytes) })]);
  });

  it('behind tailscale serve on this machine: trusts its identity headers and judges the forwarded address', async () => {
    // What `tailscale serve` sends the gateway over loopback for a request from the phone.
    const served = { 'X-Forwarded-For': tailnet.phone, 'Tailscale-User-Login': 'bob@example.com', 'Tailscale-User-Name': '=?utf-8?q?B=C3=B6b?=' };
    const me = await requestFrom(null, `http://127.0.0.1:${port}/api/me`, { headers: served });
    expect(json(me)).toEqual({ user: 'bob@example.com', name: 'Böb', via: 'header', address: tailnet.phone });
    const folder = await requestFrom(null, `http://127.0.0.1:${port}/api/folders`, {
      method: 'POST',
      headers: { ...served, 'Content-Type': 'application/json' },
      body: JSON.stringify({ path: '/from-serve' }),
    });
    expect(json<EntryDto>(folder).owner).toBe('bob@example.com');

    // A Funnel request: tailscale serve forwards a public address and no identity.
    const funnel = await requestFrom(null, `http://127.0.0.1:${port}/api/me`, { headers: { 'X-Forwarded-For': '203.0.113.9', 'Tailscale-Funnel-Request': '?1' } });
    expect(funnel.status).toBe(403);
    expect(json<{ message: string }>(funnel).message).toContain('203.0.113.9 (forwarded by 127.0.0.1) is not on the tailnet');

    // This machine itself, with no proxy headers: the single owner.
    const local = await requestFrom(null, `http://127.0.0.1:${port}/api/me`);
    expect(json(local)).toEqual({ user: null, name: null, via: 'single-owner', address: '127.0.0.1' });
  });

  it('keeps answering without a user when tailscaled goes away, and says so once in the log', async () => {
    await tailscaled.stop();
    // The laptop's address was never looked up, so nothing cached stands in for tailscaled.
    for (let i = 0; i < 3; i++) {
      const me = await requestFrom(tailnetNs, onTailnet('/api/me'), { localAddress: tailnet.laptop });
      expect(me.status).toBe(200);
      expect(json(me)).toEqual({ user: null, name: null, via: 'single-owner', address: tailnet.laptop });
    }
    expect(nebula.output().split('does not answer whois').length - 1).toBe(1);
  });
});
