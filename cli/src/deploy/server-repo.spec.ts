import { describe, expect, it } from 'vitest';
import { pushFailure } from './server-repo';

// What git 2.39 printed for each case (git push --porcelain, as simple-git runs it): stdout first, then stderr.
describe('pushFailure', () => {
  it("takes a ref's verdict from git's porcelain output", () => {
    const fetchFirst = ['To /srv/nebula.git', '!\tHEAD:refs/heads/main\t[rejected] (fetch first)', 'Done', "error: failed to push some refs to '/srv/nebula.git'"];
    expect(pushFailure(fetchFirst, null)).toBe('rejected (fetch first)');
    const declined = ['To /srv/nebula.git', '!\tHEAD:refs/heads/main\t[remote rejected] (pre-receive hook declined)', 'Done', 'remote: no deploys today'];
    expect(pushFailure(declined, null)).toBe('remote rejected (pre-receive hook declined)');
    expect(pushFailure([' ! [rejected]        HEAD -> main (non-fast-forward)'], null)).toBe('[rejected]        HEAD -> main (non-fast-forward)');
  });

  it('names what ssh or git could not reach, not the generic last line', () => {
    expect(pushFailure(['ssh: connect to host nas port 22: Connection refused', 'fatal: Could not read from remote repository.', '', 'Please make sure you have the correct access rights'], null)).toBe(
      'ssh: connect to host nas port 22: Connection refused',
    );
    expect(pushFailure(["fatal: 'server' does not appear to be a git repository", 'fatal: Could not read from remote repository.'], null)).toBe("fatal: 'server' does not appear to be a git repository");
  });

  it("falls back to the error's own message when git printed nothing", () => {
    expect(pushFailure([], new Error('spawn git ENOENT'))).toBe('spawn git ENOENT');
  });
});
