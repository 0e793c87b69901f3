import { describe, expect, it } from 'vitest';
import { hasAcceptableBodyType, hostName, HostAllowList, isJsonType, isSameOrigin } from './site-policy';

describe('hostName', () => {
  it('takes the name out of a Host header', () => {
    expect(hostName('Nebula.Tail1234.ts.net.')).toBe('nebula.tail1234.ts.net');
    expect(hostName('127.0.0.1:8080')).toBe('127.0.0.1');
    expect(hostName('[::1]:8080')).toBe('::1');
    expect(hostName('[fd7a:115c:a1e0::1]')).toBe('fd7a:115c:a1e0::1');
    expect(hostName('[not-an-ip]:80')).toBeNull();
    expect(hostName('a b')).toBeNull();
    expect(hostName('evil.example/path')).toBeNull();
    expect(hostName('')).toBeNull();
  });
});

describe('HostAllowList', () => {
  const hosts = new HostAllowList(['media.home.arpa', '*.lan.example', 'mybox']);
  it('allows addresses, localhost, *.ts.net, the configured names and wildcards', () => {
    for (const h of ['127.0.0.1:8080', '[::1]:8080', '100.64.0.1', 'localhost:8080', 'nebula.tail1234.ts.net', 'media.home.arpa', 'box.lan.example', 'MYBOX:8080', undefined]) {
      expect(hosts.allows(h), String(h)).toBe(true);
    }
  });
  it('refuses everything else', () => {
    for (const h of ['evil.example', 'ts.net', 'lan.example', 'nebula.ts.net.evil.example', 'localhost.evil.example', '127.0.0.1.nip.io', '', 'a b']) {
      expect(hosts.allows(h), h).toBe(false);
    }
  });
});

describe('isSameOrigin', () => {
  it('compares host and port, not the scheme (tailscale serve ends TLS)', () => {
    expect(isSameOrigin('http://127.0.0.1:8080', '127.0.0.1:8080')).toBe(true);
    expect(isSameOrigin('https://nebula.tail1234.ts.net', 'nebula.tail1234.ts.net')).toBe(true);
    expect(isSameOrigin('http://127.0.0.1:5173', '127.0.0.1:8080')).toBe(false);
    expect(isSameOrigin('null', '127.0.0.1:8080')).toBe(false);
    expect(isSameOrigin('file://', '127.0.0.1:8080')).toBe(false);
    expect(isSameOrigin('http://127.0.0.1:8080', undefined)).toBe(false);
  });
});

describe('body types', () => {
  it('wants JSON for POST, PUT and PATCH, and nothing of DELETE and reads', () => {
    expect(isJsonType('application/json; charset=utf-8')).toBe(true);
    expect(isJsonType('application/merge-patch+json')).toBe(true);
    expect(isJsonType('text/plain')).toBe(false);
    expect(hasAcceptableBodyType('POST', undefined)).toBe(false);
    expect(hasAcceptableBodyType('POST', 'application/x-www-form-urlencoded')).toBe(false);
    expect(hasAcceptableBodyType('patch', 'multipart/form-data; boundary=x')).toBe(false);
    expect(hasAcceptableBodyType('POST', 'application/json')).toBe(true);
    expect(hasAcceptableBodyType('DELETE', undefined)).toBe(true);
    expect(hasAcceptableBodyType('GET', 'text/plain')).toBe(true);
  });
});
