import { describe, expect, it } from 'vitest';
import { AddressRanges, normalizeAddress } from './address-ranges';

const defaults = new AddressRanges(['100.64.0.0/10', 'fd7a:115c:a1e0::/48', '127.0.0.0/8', '::1/128']);

describe('normalizeAddress', () => {
  it('turns IPv4-mapped IPv6 (what a dual-stack listener reports) into plain IPv4', () => {
    expect(normalizeAddress('::ffff:100.64.1.2')).toBe('100.64.1.2');
    expect(normalizeAddress('::ffff:7f00:1')).toBe('127.0.0.1');
    expect(normalizeAddress('::FFFF:192.168.1.5')).toBe('192.168.1.5');
  });

  it('writes IPv6 in its short form and drops a zone', () => {
    expect(normalizeAddress('FD7A:115C:A1E0:0:0:0:0:1')).toBe('fd7a:115c:a1e0::1');
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeAddress(' 100.64.0.1 ')).toBe('100.64.0.1');
  });

  it('is null for anything that is not an IP address', () => {
    for (const text of ['', 'unknown', '_hidden', 'example.com', '100.64.0.1:80', '[::1]', '100.64.1', '0x64.64.0.1', '100.064.0.1', '1.2.3.256', undefined, null]) {
      expect(normalizeAddress(text), String(text)).toBeNull();
    }
  });
});

describe('AddressRanges', () => {
  it("holds Tailscale's IPv4 range and nothing around it", () => {
    expect(defaults.contains('100.64.0.0')).toBe(true);
    expect(defaults.contains('100.101.102.103')).toBe(true);
    expect(defaults.contains('100.127.255.255')).toBe(true);
    expect(defaults.contains('100.63.255.255')).toBe(false);
    expect(defaults.contains('100.128.0.0')).toBe(false);
  });

  it("holds Tailscale's IPv6 range and loopback, v4 and v6", () => {
    expect(defaults.contains('fd7a:115c:a1e0::1')).toBe(true);
    expect(defaults.contains('fd7a:115c:a1e0:ab12:4843:cd96:6258:b240')).toBe(true);
    expect(defaults.contains('fd7a:115c:a1e1::1')).toBe(false);
    expect(defaults.contains('127.0.0.1')).toBe(true);
    expect(defaults.contains('127.5.6.7')).toBe(true);
    expect(defaults.contains('::1')).toBe(true);
    expect(defaults.contains('::2')).toBe(false);
  });

  it('judges an IPv4-mapped peer by its IPv4 address', () => {
    expect(defaults.contains('::ffff:100.64.1.2')).toBe(true);
    expect(defaults.contains('::ffff:127.0.0.1')).toBe(true);
    expect(defaults.contains('::ffff:192.168.1.5')).toBe(false);
  });

  it('refuses LAN, public and garbage addresses', () => {
    for (const address of ['192.168.1.5', '10.0.0.8', '172.17.0.1', '8.8.8.8', '2001:db8::1', 'fe80::1', '0.0.0.0', '::', 'localhost', '', 'unknown']) {
      expect(defaults.contains(address), address).toBe(false);
    }
  });

  it('takes single addresses and mapped IPv6 ranges as well as CIDRs', () => {
    const ranges = new AddressRanges(['172.18.0.1', '2001:db8::7', '::ffff:10.1.0.0/112']);
    expect(ranges.contains('172.18.0.1')).toBe(true);
    expect(ranges.contains('172.18.0.2')).toBe(false);
    expect(ranges.contains('2001:db8::7')).toBe(true);
    expect(ranges.contains('10.1.200.3')).toBe(true);
    expect(ranges.contains('::ffff:10.1.200.3')).toBe(true);
    expect(ranges.contains('10.2.0.1')).toBe(false);
  });

  it('an empty list holds nobody', () => {
    expect(new AddressRanges([]).contains('127.0.0.1')).toBe(false);
  });
});
