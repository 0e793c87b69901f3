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

  it('finds the runtime folder from the hook wrapper install.sh wrote, else ~/nebula', () => {
    expect(serverScript('/srv/nebula.git', ROLLBACK_ACTION)).toBe(
      `bin=$(sed -n 's|^exec \\(.*\\)/post-receive "\\$@"$|\\1|p' /srv/nebula.git/hooks/post-receive 2>/dev/null); ` +
        `if [ -n "$bin" ]; then eval "bin=$bin"; else bin="$HOME/nebula/bin"; fi; exec "$bin/rollback.sh" "$@"`,
    );
    expect(serverScript('/srv/nebula.git', ROLLBACK_ACTION, '/srv/nebula/')).toBe(`bin=/srv/nebula/bin; exec "$bin/rollback.sh" "$@"`);
  });

  it('runs over ssh as git would ([-p port] destination command), and with sh for a local repo', () => {
    const ssh = { kind: 'ssh' as const, destination: 'owner@homebox', user: 'owner', host: 'homebox', port: 2222, path: '/srv/nebula.git' };
    expect(scriptInvocation(ssh, 'echo "$1"', ['abc1234'], 'ssh -i ~/.ssh/deploy')).toEqual({
      command: 'sh',
      args: ['-c', 'ssh -i ~/.ssh/deploy "$@"', 'nebula-ssh', '-p', '2222', 'owner@homebox', `sh -c 'echo "$1"' nebula abc1234`],
    });
    expect(scriptInvocation({ kind: 'local', path: '/srv/nebula.git' }, 'echo "$1"', ['abc1234'], 'ssh')).toEqual({ command: 'sh', args: ['-c', 'echo "$1"', 'nebula', 'abc1234'] });
  });
});
