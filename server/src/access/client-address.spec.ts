import { describe, expect, it } from 'vitest';
import type { IncomingHttpHeaders } from 'node:http';
import { AddressRanges } from './address-ranges';
import { clientAddress, forwardingChain } from './client-address';
import { decideAccess } from './tailnet-policy';

const allowed = new AddressRanges(['100.64.0.0/10', 'fd7a:115c:a1e0::/48', '127.0.0.0/8', '::1/128']);
const loopback = new AddressRanges(['127.0.0.0/8', '::1/128']);

const from = (socketAddress: string | undefined, headers: IncomingHttpHeaders = {}, socketPort = 50123) => ({ socketAddress, socketPort, headers });

describe('clientAddress: a direct peer', () => {
  it('is the socket address and port, IPv4-mapped IPv6 written as IPv4', () => {
    expect(clientAddress(from('::ffff:100.64.1.2'), loopback)).toEqual({ ok: true, address: '100.64.1.2', port: 50123, socketAddress: '100.64.1.2', socketTrusted: false });
    expect(clientAddress(from('fd7a:115c:a1e0::5'), loopback)).toEqual({ ok: true, address: 'fd7a:115c:a1e0::5', port: 50123, socketAddress: 'fd7a:115c:a1e0::5', socketTrusted: false });
  });

  it('ignores X-Forwarded-For, Forwarded and identity headers from a peer that is not a trusted proxy', () => {
    const spoofed = { 'x-forwarded-for': '100.64.0.1', forwarded: 'for=100.64.0.1', 'tailscale-user-login': 'owner@example.com' };
    expect(clientAddress(from('192.168.1.5', spoofed), loopback)).toEqual({ ok: true, address: '192.168.1.5', port: 50123, socketAddress: '192.168.1.5', socketTrusted: false });
  });

  it('ignores even malformed forwarding headers from an untrusted peer', () => {
    expect(clientAddress(from('100.64.1.2', { forwarded: 'for=a b', 'x-forwarded-for': 'nonsense' }), loopback)).toMatchObject({ ok: true, address: '100.64.1.2' });
  });

  it('cannot be judged without an IP address (a unix socket listener)', () => {
    expect(clientAddress(from(undefined), loopback)).toEqual({ ok: false, socketAddress: null, reason: "the connection's peer address null is not an IP address" });
  });
});

describe('clientAddress: behind a trusted proxy', () => {
  it('is the proxy itself when it forwards nothing', () => {
    expect(clientAddress(from('127.0.0.1'), loopback)).toEqual({ ok: true, address: '127.0.0.1', port: 50123, socketAddress: '127.0.0.1', socketTrusted: true });
    expect(clientAddress(from('::ffff:127.0.0.1'), loopback)).toMatchObject({ address: '127.0.0.1', socketTrusted: true });
    expect(clientAddress(from('::1', { 'x-forwarded-for': '   ' }), loopback)).toMatchObject({ address: '::1', socketTrusted: true });
  });

  it('is the address tailscale serve forwards (one X-Forwarded-For entry, no port)', () => {
    expect(clientAddress(from('127.0.0.1', { 'x-forwarded-for': '100.101.102.103' }), loopback)).toEqual({
      ok: true,
      address: '100.101.102.103',
      port: null,
      socketAddress: '127.0.0.1',
      socketTrusted: true,
    });
  });

  it('walks X-Forwarded-For right to left past trusted hops, and stops at the first untrusted one', () => {
    const proxies = new AddressRanges(['127.0.0.0/8', '172.16.0.0/12']);
    // The client wrote "6.6.6.6" itself; 100.64.5.5 is who connected to the first trusted proxy.
    const chain = { 'x-forwarded-for': '6.6.6.6, 100.64.5.5, 127.0.0.1' };
    expect(clientAddress(from('172.18.0.1', chain), proxies)).toMatchObject({ ok: true, address: '100.64.5.5', socketAddress: '172.18.0.1' });
  });

  it('does not let a LAN client hide behind a tailnet address it prepends', () => {
    expect(clientAddress(from('127.0.0.1', { 'x-forwarded-for': '100.64.0.1, 192.168.1.9' }), loopback)).toMatchObject({ address: '192.168.1.9' });
  });

  it('ends at the leftmost entry when every hop is trusted', () => {
    expect(clientAddress(from('127.0.0.1', { 'x-forwarded-for': '127.0.0.3, 127.0.0.2' }), loopback)).toMatchObject({ address: '127.0.0.3' });
  });

  it('reads ports and brackets in X-Forwarded-For entries, and several header lines as one list', () => {
    expect(clientAddress(from('127.0.0.1', { 'x-forwarded-for': '100.64.0.9:5555' }), loopback)).toMatchObject({ address: '100.64.0.9', port: 5555 });
    expect(clientAddress(from('127.0.0.1', { 'x-forwarded-for': '[FD7A:115C:A1E0::9]:443' }), loopback)).toMatchObject({ address: 'fd7a:115c:a1e0::9', port: 443 });
    expect(clientAddress(from('127.0.0.1', { 'x-forwarded-for': '::ffff:100.64.0.9' }), loopback)).toMatchObject({ address: '100.64.0.9', port: null });
    expect(clientAddress(from('127.0.0.1', { 'x-forwarded-for': ['100.64.0.9', '127.0.0.2'] as unknown as string }), loopback)).toMatchObject({ address: '100.64.0.9' });
  });

  it('never reads Forwarded, which proxies pass through from the client untouched', () => {
    // nginx appends the LAN client 192.168.1.9 to X-Forwarded-For and passes the client's own Forwarded on.
    const headers = { forwarded: 'for=100.64.0.1', 'x-forwarded-for': '192.168.1.9' };
    expect(clientAddress(from('127.0.0.1', headers), loopback)).toEqual({ ok: true, address: '192.168.1.9', port: null, socketAddress: '127.0.0.1', socketTrusted: true });
    expect(clientAddress(from('127.0.0.1', { forwarded: 'for=100.64.0.1' }), loopback)).toMatchObject({ ok: true, address: '127.0.0.1' });
    expect(clientAddress(from('127.0.0.1', { forwarded: 'for=a b' }), loopback)).toMatchObject({ ok: true, address: '127.0.0.1' });
  });

  it('cannot name the client when a trusted proxy forwards something that is not an address', () => {
    expect(clientAddress(from('127.0.0.1', { 'x-forwarded-for': 'not-an-ip' }), loopback)).toEqual({
      ok: false,
      socketAddress: '127.0.0.1',
      reason: 'the trusted proxy 127.0.0.1 forwarded for "not-an-ip", which is not an IP address',
    });
    expect(clientAddress(from('127.0.0.1', { 'x-forwarded-for': '100.64.0.9,' }), loopback)).toMatchObject({ ok: false, reason: 'the trusted proxy 127.0.0.1 forwarded for "", which is not an IP address' });
    expect(clientAddress(from('127.0.0.1', { 'x-forwarded-for': 'unknown' }), loopback)).toMatchObject({ ok: false, reason: 'the trusted proxy 127.0.0.1 forwarded for "unknown", which is not an IP address' });
  });

  it('ignores garbage written left of the first untrusted hop', () => {
    expect(clientAddress(from('127.0.0.1', { 'x-forwarded-for': 'garbage, 100.64.0.9' }), loopback)).toMatchObject({ ok: true, address: '100.64.0.9' });
  });
});

describe('forwardingChain', () => {
  it('lists the hops client first', () => {
    expect(forwardingChain({ 'x-forwarded-for': '100.64.0.1, 10.0.0.2:80' })).toEqual([
      { raw: '100.64.0.1', address: '100.64.0.1', port: null },
      { raw: '10.0.0.2:80', address: '10.0.0.2', port: 80 },
    ]);
    expect(forwardingChain({})).toEqual([]);
  });
});

describe('decideAccess', () => {
  it('lets tailnet peers and this machine in', () => {
    for (const peer of ['100.64.1.2', '::ffff:100.100.100.100', 'fd7a:115c:a1e0::1', '127.0.0.1', '::1']) {
      expect(decideAccess(from(peer), allowed, loopback, 'GET /').allowed, peer).toBe(true);
    }
  });

  it('refuses a LAN peer with its address in the message and the log line', () => {
    expect(decideAccess(from('::ffff:192.168.1.5', { 'x-forwarded-for': '100.64.0.1' }), allowed, loopback, 'GET /api/health')).toEqual({
      allowed: false,
      address: '192.168.1.5',
      message: '192.168.1.5 is not on the tailnet: this Nebula only answers Tailscale addresses and this machine (NEBULA_ALLOWED_CIDRS). Connect through Tailscale.',
      logLine: 'refused 192.168.1.5: GET /api/health: not in NEBULA_ALLOWED_CIDRS',
    });
  });

  it('refuses a public client forwarded by the trusted proxy (a Funnel request), naming both', () => {
    expect(decideAccess(from('127.0.0.1', { 'x-forwarded-for': '203.0.113.7' }), allowed, loopback, 'GET /')).toEqual({
      allowed: false,
      address: '203.0.113.7',
      message: '203.0.113.7 (forwarded by 127.0.0.1) is not on the tailnet: this Nebula only answers Tailscale addresses and this machine (NEBULA_ALLOWED_CIDRS). Connect through Tailscale.',
      logLine: 'refused 203.0.113.7 (forwarded by 127.0.0.1): GET /: not in NEBULA_ALLOWED_CIDRS',
    });
  });

  it('refuses when the trusted proxy does not say who the client is', () => {
    expect(decideAccess(from('127.0.0.1', { 'x-forwarded-for': 'nobody' }), allowed, loopback, 'GET /')).toEqual({
      allowed: false,
      address: '127.0.0.1',
      message:
        'Nebula cannot tell who is calling: the trusted proxy 127.0.0.1 forwarded for "nobody", which is not an IP address. Requests must come from the tailnet, directly or through a proxy that names the client.',
      logLine: 'refused 127.0.0.1: GET /: the trusted proxy 127.0.0.1 forwarded for "nobody", which is not an IP address',
    });
  });

  it('judges nobody trusted when NEBULA_TRUSTED_PROXIES is empty-handed for the peer', () => {
    const none = new AddressRanges([]);
    expect(decideAccess(from('127.0.0.1', { 'x-forwarded-for': '192.168.1.5' }), allowed, none, 'GET /')).toMatchObject({ allowed: true, client: { address: '127.0.0.1', socketTrusted: false } });
  });
});
