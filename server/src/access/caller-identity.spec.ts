import { describe, expect, it } from 'vitest';
import { CallerIdentity, WHOIS_CACHE_MS, WHOIS_RETRY_MS, type Whois } from './caller-identity';
import type { ClientAddress } from './client-address';
import { TailscaledUnavailableError, type WhoisAnswer } from './tailscale-whois.client';

// tailscaled cannot run here: `StandInTailscaled` answers whois from a table, the way the real
// daemon's LocalAPI would, and counts the questions. The socket client itself is tested in
// tailscale-whois.client.spec.ts against a unix socket.
class StandInTailscaled implements Whois {
  readonly socketPath = '/run/stand-in/tailscaled.sock';
  asked: string[] = [];
  down = false;
  constructor(private readonly users: Record<string, WhoisAnswer>) {}
  async whois(ip: string, port: number | null): Promise<WhoisAnswer> {
    this.asked.push(`${ip} ${port}`);
    if (this.down) throw new TailscaledUnavailableError('connect ENOENT /run/stand-in/tailscaled.sock');
    return this.users[ip] ?? { found: false };
  }
}

class Log {
  lines: string[] = [];
  warn(message: string) {
    this.lines.push(`warn: ${message}`);
  }
  log(message: string) {
    this.lines.push(`log: ${message}`);
  }
}

const direct = (address: string, port: number | null = 41000): ClientAddress => ({ ok: true, address, port, socketAddress: address, socketTrusted: false });
const viaServe = (address: string): ClientAddress => ({ ok: true, address, port: null, socketAddress: '127.0.0.1', socketTrusted: true });

const alice: WhoisAnswer = { found: true, login: 'alice@example.com', name: 'Alice Example', tagged: false };
const ciBox: WhoisAnswer = { found: true, login: 'tagged-devices', name: 'tagged devices', tagged: true };

function setup(users: Record<string, WhoisAnswer> = { '100.64.1.2': alice, '100.64.9.9': ciBox }) {
  const tailscaled = new StandInTailscaled(users);
  const log = new Log();
  let now = 1_000_000;
  const identity = new CallerIdentity(tailscaled, log, () => now);
  return { tailscaled, log, identity, advance: (ms: number) => (now += ms) };
}

describe('CallerIdentity', () => {
  it("takes tailscale serve's headers when the socket peer is a trusted proxy, without asking tailscaled", async () => {
    const { identity, tailscaled } = setup();
    const headers = { 'tailscale-user-login': 'bob@example.com', 'tailscale-user-name': 'Bob' };
    expect(await identity.identify(viaServe('100.64.1.2'), headers)).toEqual({ user: 'bob@example.com', name: 'Bob', via: 'header', address: '100.64.1.2' });
    expect(tailscaled.asked).toEqual([]);
  });

  it('ignores identity headers from a peer that is not trusted, and asks whois instead', async () => {
    const { identity, tailscaled } = setup();
    expect(await identity.identify(direct('100.64.1.2'), { 'tailscale-user-login': 'mallory@example.com' })).toEqual({
      user: 'alice@example.com',
      name: 'Alice Example',
      via: 'whois',
      address: '100.64.1.2',
    });
    expect(tailscaled.asked).toEqual(['100.64.1.2 41000']);
  });

  it('asks whois about the forwarded client when a trusted proxy sent no identity', async () => {
    const { identity, tailscaled } = setup();
    expect(await identity.identify(viaServe('100.64.1.2'), {})).toMatchObject({ user: 'alice@example.com', via: 'whois' });
    expect(tailscaled.asked).toEqual(['100.64.1.2 null']);
  });

  it('is the single owner for strangers to tailscaled, tagged devices and this machine (never asked about)', async () => {
    const { identity, tailscaled } = setup();
    expect(await identity.identify(direct('100.64.7.7'), {})).toEqual({ user: null, name: null, via: 'single-owner', address: '100.64.7.7' });
    expect(await identity.identify(direct('100.64.9.9'), {})).toEqual({ user: null, name: null, via: 'single-owner', address: '100.64.9.9' });
    expect(await identity.identify(direct('127.0.0.1'), {})).toEqual({ user: null, name: null, via: 'single-owner', address: '127.0.0.1' });
    expect(await identity.identify(direct('::1'), {})).toMatchObject({ user: null });
    expect(tailscaled.asked).toEqual(['100.64.7.7 41000', '100.64.9.9 41000']);
  });

  it('is the single owner when no tailscaled socket is configured', async () => {
    const identity = new CallerIdentity(null, new Log());
    expect(await identity.identify(direct('100.64.1.2'), { 'tailscale-user-login': 'mallory@example.com' })).toEqual({ user: null, name: null, via: 'single-owner', address: '100.64.1.2' });
  });

  it('remembers an answer per address for a while, and asks once for requests that arrive together', async () => {
    const { identity, tailscaled, advance } = setup();
    await Promise.all([identity.identify(direct('100.64.1.2', 1), {}), identity.identify(direct('100.64.1.2', 2), {}), identity.identify(direct('100.64.1.2', 3), {})]);
    advance(WHOIS_CACHE_MS - 1);
    await identity.identify(direct('100.64.1.2', 4), {});
    expect(tailscaled.asked).toEqual(['100.64.1.2 1']);
    advance(1);
    await identity.identify(direct('100.64.1.2', 5), {});
    expect(tailscaled.asked).toEqual(['100.64.1.2 1', '100.64.1.2 5']);
  });

  it('goes on without a user while tailscaled is down, says so once, and says when it is back', async () => {
    const { identity, tailscaled, log, advance } = setup();
    tailscaled.down = true;
    expect(await identity.identify(direct('100.64.1.2'), {})).toEqual({ user: null, name: null, via: 'single-owner', address: '100.64.1.2' });
    // Within the retry pause nobody waits on a dead socket.
    expect(await identity.identify(direct('100.64.1.2'), {})).toMatchObject({ via: 'single-owner' });
    expect(tailscaled.asked).toHaveLength(1);
    advance(WHOIS_RETRY_MS);
    expect(await identity.identify(direct('100.64.1.2'), {})).toMatchObject({ via: 'single-owner' });
    expect(tailscaled.asked).toHaveLength(2);
    expect(log.lines).toEqual([
      "warn: tailscaled's LocalAPI at /run/stand-in/tailscaled.sock does not answer whois (connect ENOENT /run/stand-in/tailscaled.sock); requests go on without a tailnet user until it does (is the socket mounted and tailscaled running?)",
    ]);
    tailscaled.down = false;
    advance(WHOIS_RETRY_MS);
    expect(await identity.identify(direct('100.64.1.2'), {})).toMatchObject({ user: 'alice@example.com', via: 'whois' });
    expect(log.lines[1]).toBe('log: tailscaled answers whois again at /run/stand-in/tailscaled.sock');
  });
});
