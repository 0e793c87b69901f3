import { describe, expect, it } from 'vitest';
import { ROLLBACK_ACTION, scriptInvocation, serverScript, shellPath, shellQuote } from './server-script';

describe('server scripts', () => {
  it('quotes words and paths for a POSIX shell, leaving ~/ to the shell', () => {
    expect(shellQuote('abc1234')).toBe('abc1234');
    expect(shellQuote("it's here")).toBe(`'it'\\''s here'`);
    expect(shellPath('~/nebula')).toBe('"$HOME"/nebula');
    expect(shellPath('~/my nebula')).toBe(`"$HOME"/'my nebula'`);
    expect(shellPath('/srv/nebula.git')).toBe('/srv/nebula.git');
  });

  it('leaves ~name unquoted so the server\'s shell expands it, and quotes the rest', () => {
    // ssh://homebox/~owner/nebula.git and homebox:~owner/nebula.git, as parseRemoteUrl reads them.
    expect(shellPath('~owner/nebula.git')).toBe('~owner/nebula.git');
    expect(shellPath('~owner/my nebula.git')).toBe(`~owner/'my nebula.git'`);
    expect(shellPath('~deploy-bot.2')).toBe('~deploy-bot.2');
    expect(shellPath('~')).toBe('"$HOME"');
    expect(shellPath('~/')).toBe('"$HOME"/');
    // Not a login name: quoted whole, as a literal path.
    expect(shellPath('~$(reboot)/x')).toBe(`'~$(reboot)/x'`);
    expect(shellPath('~-x/repo')).toBe(`'~-x/repo'`);
    expect(shellPath('/srv/~owner/x')).toBe(`'/srv/~owner/x'`);
  });

  it('finds the runtime folder from the hook wrapper install.sh wrote, else ~/nebula', () => {
    expect(serverScript('~owner/nebula.git', ROLLBACK_ACTION)).toBe(
      `hook=~owner/nebula.git/hooks/post-receive; ` +
        `if [ ! -r "$hook" ]; then echo "cannot read $hook on the server: the remote must name the bare repo that hooks/install.sh set up (or give --runtime)" >&2; exit 127; fi; ` +
        `target=$(sed -n 's|^exec \\(.*\\) "\\$@"$|\\1|p' "$hook"); ` +
        `if [ -n "$target" ]; then eval "target=$target"; bin=\${target%/*}; else bin="$HOME/nebula/bin"; fi; exec "$bin/rollback.sh" "$@"`,
    );
    expect(serverScript('/srv/nebula.git', ROLLBACK_ACTION, '/srv/nebula/')).toBe(`bin=/srv/nebula/bin; exec "$bin/rollback.sh" "$@"`);
  });

  it('runs under bash: over ssh as git would ([-p port] destination command), or here for a local repo', () => {
    const ssh = { kind: 'ssh' as const, destination: 'owner@homebox', user: 'owner', host: 'homebox', port: 2222, path: '/srv/nebula.git' };
    expect(scriptInvocation(ssh, 'echo "$1"', ['abc1234'], 'ssh -i ~/.ssh/deploy')).toEqual({
      command: 'sh',
      args: ['-c', 'ssh -i ~/.ssh/deploy "$@"', 'nebula-ssh', '-p', '2222', 'owner@homebox', `bash -c 'echo "$1"' nebula abc1234`],
    });
    expect(scriptInvocation({ kind: 'local', path: '/srv/nebula.git' }, 'echo "$1"', ['abc1234'], 'ssh')).toEqual({ command: 'bash', args: ['-c', 'echo "$1"', 'nebula', 'abc1234'] });
  });
});
