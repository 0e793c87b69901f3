import { describe, expect, it } from 'vitest';
import { parseRemoteUrl } from './remote-url';

describe('parseRemoteUrl', () => {
  it('reads the ssh:// line that hooks/install.sh prints', () => {
    expect(parseRemoteUrl('ssh://owner@homebox.tail1234.ts.net/home/owner/nebula.git')).toEqual({
      kind: 'ssh',
      destination: 'owner@homebox.tail1234.ts.net',
      user: 'owner',
      host: 'homebox.tail1234.ts.net',
      port: null,
      path: '/home/owner/nebula.git',
    });
  });

  it('keeps a port, and reads /~/ as a path under the home folder', () => {
    expect(parseRemoteUrl('ssh://homebox:2222/~/nebula.git')).toEqual({ kind: 'ssh', destination: 'homebox', user: null, host: 'homebox', port: 2222, path: '~/nebula.git' });
    expect(parseRemoteUrl('git+ssh://me@[fd7a:115c:a1e0::1]:22/srv/nebula.git')).toEqual({
      kind: 'ssh',
      destination: 'me@fd7a:115c:a1e0::1',
      user: 'me',
      host: 'fd7a:115c:a1e0::1',
      port: 22,
      path: '/srv/nebula.git',
    });
  });

  it('reads scp-like user@host:path, relative to the home folder or absolute', () => {
    expect(parseRemoteUrl('owner@homebox:nebula.git')).toEqual({ kind: 'ssh', destination: 'owner@homebox', user: 'owner', host: 'homebox', port: null, path: 'nebula.git' });
    expect(parseRemoteUrl('homebox:/srv/nebula.git')).toEqual({ kind: 'ssh', destination: 'homebox', user: null, host: 'homebox', port: null, path: '/srv/nebula.git' });
    // A tailnet IPv6 address, in brackets as git takes it.
    expect(parseRemoteUrl('[fd7a:115c:a1e0::1]:nebula.git')).toEqual({ kind: 'ssh', destination: 'fd7a:115c:a1e0::1', user: null, host: 'fd7a:115c:a1e0::1', port: null, path: 'nebula.git' });
    expect(parseRemoteUrl('owner@[fd7a:115c:a1e0::1]:/srv/nebula.git')).toEqual({
      kind: 'ssh', destination: 'owner@fd7a:115c:a1e0::1', user: 'owner', host: 'fd7a:115c:a1e0::1', port: null, path: '/srv/nebula.git',
    });
  });

  it('takes paths and file:// URLs as a repository on this machine', () => {
    expect(parseRemoteUrl('/tmp/home/nebula.git')).toEqual({ kind: 'local', path: '/tmp/home/nebula.git' });
    expect(parseRemoteUrl('../server/nebula.git')).toEqual({ kind: 'local', path: '../server/nebula.git' });
    expect(parseRemoteUrl('./a:b/nebula.git')).toEqual({ kind: 'local', path: './a:b/nebula.git' });
    expect(parseRemoteUrl('file:///srv/nebula%20repo.git')).toEqual({ kind: 'local', path: '/srv/nebula repo.git' });
  });

  it('refuses what cannot run the server scripts, and hosts that ssh would read as options', () => {
    expect(() => parseRemoteUrl('https://github.com/me/nebula.git')).toThrow('a https:// remote cannot run the server\'s deploy scripts; use an ssh:// remote (hooks/install.sh prints one)');
    expect(() => parseRemoteUrl('-oProxyCommand=evil:repo')).toThrow('refusing the ssh host "-oProxyCommand=evil": it starts with "-"');
    expect(() => parseRemoteUrl('ssh://homebox/')).toThrow('no repository path in ssh://homebox/');
    expect(() => parseRemoteUrl('')).toThrow('the remote has no URL');
  });
});
