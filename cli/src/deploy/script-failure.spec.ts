import { describe, expect, it } from 'vitest';
import { EXIT } from '../errors';
import { scriptFailure, scriptReason } from './script-failure';

const URL = 'ssh://owner@homebox/~/nebula.git';

describe('server script failures', () => {
  it('takes the reason from stderr, else from the last line the hook printed on stdout', () => {
    expect(scriptReason({ code: 1, stdout: ['==> lock'], stderr: ['', 'no kept release of commit abcdef0; kept releases:', '20260301T120000Z-1234567'] })).toBe(
      'no kept release of commit abcdef0; kept releases:',
    );
    // The hooks' say() writes to stdout: this is all rollback.sh tells when the lock stays taken.
    const lock = { code: 1, stdout: ['another deploy is running; waiting for it to finish (up to 600 s)...', 'gave up waiting for the deploy lock after 600 s (/home/owner/nebula/deploy.lock)', ''], stderr: [] };
    expect(scriptReason(lock)).toBe('gave up waiting for the deploy lock after 600 s (/home/owner/nebula/deploy.lock)');
    expect(scriptReason({ code: 1, stdout: [], stderr: ["Warning: Permanently added 'homebox' (ED25519) to the list of known hosts.", 'cat: deploys.jsonl: Permission denied'] })).toBe('cat: deploys.jsonl: Permission denied');
    expect(scriptReason({ code: 9, stdout: [], stderr: [] })).toBe('exit 9');
  });

  it('gives every command the same exit code for the same failure', () => {
    const ssh = { code: 255, stdout: [], stderr: ['ssh: connect to host homebox port 22: Connection refused'] };
    for (const what of ['rollback failed', 'could not read the deploy history on server']) {
      const error = scriptFailure(ssh, what, URL, 'whatever');
      expect(error.message).toBe(`${what}: ssh could not run it on the server: ssh: connect to host homebox port 22: Connection refused (remote ${URL})`);
      expect([error.exitCode, error.code]).toEqual([EXIT.unreachable, 'unreachable']);
    }
    const missing = scriptFailure({ code: 127, stdout: [], stderr: ['bash: line 1: /home/owner/nebula/bin/rollback.sh: No such file or directory'] }, 'rollback failed', URL, 'rollback_failed');
    expect(missing.message).toBe(`rollback failed: bash: line 1: /home/owner/nebula/bin/rollback.sh: No such file or directory (remote ${URL}; hooks/install.sh sets the server up)`);
    expect([missing.exitCode, missing.code]).toEqual([EXIT.failed, 'not_installed']);
    const other = scriptFailure({ code: 1, stdout: ['gave up waiting for the deploy lock after 600 s'], stderr: [] }, 'rollback failed', URL, 'rollback_failed');
    expect([other.message, other.exitCode, other.code]).toEqual(['rollback failed: gave up waiting for the deploy lock after 600 s', EXIT.failed, 'rollback_failed']);
  });
});
