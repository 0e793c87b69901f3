import { describe, expect, it } from 'vitest';
import { forwardedHeaders, trustedProxies } from './edge.mjs';

// compose's default NEBULA_TRUSTED_PROXIES: loopback and the compose network (tailscale serve on the host reaches the edge from its gateway address).
const trusted = trustedProxies('127.0.0.0/8,::1/128,172.30.57.0/24');

describe('the edge, as the proxy the gateway trusts', () => {
  it('passes on the identity and the client address that tailscale serve on the host vouches for', () => {
    const headers = forwardedHeaders({ host: 'nas.tail1234.ts.net', 'x-forwarded-for': '100.101.102.103', 'tailscale-user-login': 'alice@example.com', connection: 'keep-alive' }, '172.30.57.1', trusted);
    expect(headers).toEqual({ host: 'nas.tail1234.ts.net', 'x-forwarded-for': '100.101.102.103, 172.30.57.1', 'tailscale-user-login': 'alice@example.com' });
  });

  it('gives a device that connects straight to it no say in who or where it is', () => {
    // NEBULA_BIND=100.x: a tailnet device reaches the published port with its own address.
    const headers = forwardedHeaders(
      { host: '100.64.0.5:8080', 'x-forwarded-for': '127.0.0.1', 'tailscale-user-login': 'admin@example.com', 'tailscale-user-name': 'Admin', accept: '*/*' },
      '100.90.1.2',
      trusted,
    );
    expect(headers).toEqual({ host: '100.64.0.5:8080', accept: '*/*', 'x-forwarded-for': '100.90.1.2' });
  });

  it('trusts no one when the list is empty, and refuses a range it cannot read', () => {
    expect(forwardedHeaders({ 'tailscale-user-login': 'bob@example.com' }, '127.0.0.1', trustedProxies(''))).toEqual({ 'x-forwarded-for': '127.0.0.1' });
    expect(() => trustedProxies('172.30.57.0/24,nas.local')).toThrow('NEBULA_TRUSTED_PROXIES: not an address range: "nas.local"');
  });
});
