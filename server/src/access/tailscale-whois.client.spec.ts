import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TailscaledUnavailableError, TailscaleWhoisClient } from './tailscale-whois.client';

// A stand-in for tailscaled (which cannot run here): an HTTP server on a unix socket that answers
// /localapi/v0/whois the way tailscaled's LocalAPI does, including its Host check.
let dir: string;
let server: Server;
let socketPath: string;
const seen: { host: string | undefined; url: string | undefined }[] = [];
let answer: (req: IncomingMessage, res: ServerResponse) => void;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nebula-whois-'));
  socketPath = join(dir, 'tailscaled.sock');
  server = createServer((req, res) => {
    seen.push({ host: req.headers.host, url: req.url });
    if (req.headers.host !== 'local-tailscaled.sock') {
      res.writeHead(403).end('invalid localapi request\n');
      return;
    }
    answer(req, res);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const json = (body: unknown) => (_req: IncomingMessage, res: ServerResponse) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));

describe('TailscaleWhoisClient', () => {
  it('asks whois with ip:port and the LocalAPI host, and reads the user profile', async () => {
    answer = json({
      Node: { ID: 1, Name: 'phone.tail1234.ts.net.', Addresses: ['100.64.1.2/32'] },
      UserProfile: { ID: 42, LoginName: 'alice@example.com', DisplayName: 'Alice Example', ProfilePicURL: '' },
      CapMap: {},
    });
    const client = new TailscaleWhoisClient(socketPath);
    expect(await client.whois('100.64.1.2', 51000)).toEqual({ found: true, login: 'alice@example.com', name: 'Alice Example', tagged: false });
    expect(await client.whois('fd7a:115c:a1e0::2', null)).toMatchObject({ found: true });
    expect(seen.slice(-2)).toEqual([
      { host: 'local-tailscaled.sock', url: '/localapi/v0/whois?addr=100.64.1.2%3A51000' },
      { host: 'local-tailscaled.sock', url: '/localapi/v0/whois?addr=%5Bfd7a%3A115c%3Aa1e0%3A%3A2%5D%3A0' },
    ]);
  });

  it('says a tagged device is tagged', async () => {
    answer = json({ Node: { Tags: ['tag:server'] }, UserProfile: { LoginName: 'tagged-devices', DisplayName: 'Tagged Devices' } });
    expect(await new TailscaleWhoisClient(socketPath).whois('100.64.9.9', 1)).toEqual({ found: true, login: 'tagged-devices', name: 'Tagged Devices', tagged: true });
  });

  it('is "not found" for a 404 (not a peer of this tailnet)', async () => {
    answer = (_req, res) => res.writeHead(404).end('no match for IP:port\n');
    expect(await new TailscaleWhoisClient(socketPath).whois('100.64.7.7', 1)).toEqual({ found: false });
  });

  it('reports tailscaled as unavailable on an error status, a non-JSON answer or a missing socket', async () => {
    answer = (_req, res) => res.writeHead(403).end('whois access denied\n');
    await expect(new TailscaleWhoisClient(socketPath).whois('100.64.1.2', 1)).rejects.toThrow(new TailscaledUnavailableError('whois 100.64.1.2:1 answered 403: whois access denied'));
    answer = (_req, res) => res.writeHead(200).end('<html>');
    await expect(new TailscaleWhoisClient(socketPath).whois('100.64.1.2', 1)).rejects.toThrow('whois 100.64.1.2:1 answered with something that is not its JSON');
    await expect(new TailscaleWhoisClient(join(dir, 'missing.sock')).whois('100.64.1.2', 1)).rejects.toBeInstanceOf(TailscaledUnavailableError);
  });
});
