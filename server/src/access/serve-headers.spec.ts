import { describe, expect, it } from 'vitest';
import { decodeHeaderValue, serveUser } from './serve-headers';

describe('serveUser', () => {
  it("reads tailscale serve's login and display name", () => {
    expect(serveUser({ 'tailscale-user-login': 'alice@example.com', 'tailscale-user-name': 'Alice Example' })).toEqual({ login: 'alice@example.com', name: 'Alice Example' });
  });

  it('has no name when only the login came', () => {
    expect(serveUser({ 'tailscale-user-login': 'alice@example.com' })).toEqual({ login: 'alice@example.com', name: null });
  });

  it('is nobody without a login (tagged devices, Funnel, the local machine)', () => {
    expect(serveUser({})).toBeNull();
    expect(serveUser({ 'tailscale-user-login': '' })).toBeNull();
    expect(serveUser({ 'tailscale-user-name': 'Alice', 'tailscale-funnel-request': '?1' })).toBeNull();
  });

  it('decodes the RFC 2047 words tailscaled sends for non-ASCII values', () => {
    expect(serveUser({ 'tailscale-user-login': 'rene@example.com', 'tailscale-user-name': '=?utf-8?q?Ren=C3=A9_M=C3=BCller?=' })).toEqual({ login: 'rene@example.com', name: 'René Müller' });
  });
});

describe('decodeHeaderValue', () => {
  it('leaves plain ASCII alone', () => {
    expect(decodeHeaderValue('Alice Example')).toBe('Alice Example');
    expect(decodeHeaderValue(' spaced ')).toBe('spaced');
    expect(decodeHeaderValue(undefined)).toBe('');
  });

  it('joins adjacent encoded words (Go splits long values) and reads B encoding too', () => {
    expect(decodeHeaderValue('=?utf-8?q?J=C3=BCrgen_?= =?utf-8?q?Gro=C3=9F?=')).toBe('Jürgen Groß');
    expect(decodeHeaderValue('=?UTF-8?B?w4lsb2RpZQ==?=')).toBe('Élodie');
  });

  it('keeps words in other charsets as they came rather than guess', () => {
    expect(decodeHeaderValue('=?iso-8859-1?q?Ren=E9?=')).toBe('=?iso-8859-1?q?Ren=E9?=');
  });
});
