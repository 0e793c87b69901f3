import { describe, expect, it } from 'vitest';
import { sshCommand } from './server-shell';

describe('sshCommand', () => {
  it('uses what git pushes with: GIT_SSH_COMMAND, else the checkout’s core.sshCommand, else ssh; NEBULA_SSH_COMMAND first', () => {
    expect(sshCommand({})).toBe('ssh');
    expect(sshCommand({}, 'ssh -i ~/.ssh/nebula_deploy')).toBe('ssh -i ~/.ssh/nebula_deploy');
    expect(sshCommand({ GIT_SSH_COMMAND: 'ssh -p 2222' }, 'ssh -i ~/.ssh/nebula_deploy')).toBe('ssh -p 2222');
    expect(sshCommand({ NEBULA_SSH_COMMAND: 'ssh -v', GIT_SSH_COMMAND: 'ssh -p 2222' }, 'ssh -i k')).toBe('ssh -v');
  });
});
