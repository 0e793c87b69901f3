import { describe, expect, it } from 'vitest';
import { deployOutcome, GitOutputLines, remoteText } from './deploy-output';

describe('deployOutcome', () => {
  it('reads the DEPLOYED line of a good deploy', () => {
    const lines = ['==> [12:00:00] health', 'healthy after 1 s', 'current -> releases/20260301T120000Z-abc1234', 'DEPLOYED abc1234 "fix: the \\"poster\\" size" as releases/20260301T120000Z-abc1234 in 42 s'];
    expect(deployOutcome(lines)).toEqual({ result: 'deployed', commit: 'abc1234', subject: 'fix: the \\"poster\\" size', release: '20260301T120000Z-abc1234', seconds: 42 });
  });

  it('reads the reason of a failed one, whole', () => {
    expect(deployOutcome(['failed: gateway health check did not pass within 120 s', 'main moved back to 1234567', 'DEPLOY FAILED: gateway health check did not pass within 120 s; rolled back to 1234567'])).toEqual({
      result: 'failed',
      reason: 'gateway health check did not pass within 120 s; rolled back to 1234567',
    });
  });

  it('takes the last result line when one push deployed twice (two refs, or a log quoted back)', () => {
    expect(deployOutcome(['DEPLOYED aaaaaaa "one" as releases/a in 1 s', 'DEPLOY FAILED: docker compose build failed (exit 1); rolled back to aaaaaaa'])).toEqual({
      result: 'failed',
      reason: 'docker compose build failed (exit 1); rolled back to aaaaaaa',
    });
  });

  it('reads rollbacks and a push that a later one superseded', () => {
    expect(deployOutcome(['ROLLED BACK to abc1234 "release 6" (releases/20260301T120000Z-abc1234)'])).toEqual({ result: 'rolled_back', commit: 'abc1234', subject: 'release 6', release: '20260301T120000Z-abc1234' });
    expect(deployOutcome(['ROLLBACK FAILED: docker compose up failed (exit 1); 1234567 (releases/x) runs again'])).toEqual({ result: 'rollback_failed', reason: 'docker compose up failed (exit 1); 1234567 (releases/x) runs again' });
    expect(deployOutcome(['main now points at ccccccc (pushed after this one); skipping bbbbbbb: that push deploys'])).toEqual({ result: 'superseded', commit: 'bbbbbbb', by: 'ccccccc' });
  });

  it('is null when the hooks said nothing about a deploy', () => {
    expect(deployOutcome(['stored refs/heads/feature at abc1234 (only refs/heads/main deploys)'])).toBeNull();
    expect(deployOutcome([])).toBeNull();
  });
});

describe('git push output', () => {
  it('splits on \\n, \\r and ESC[K, across chunks, without git\'s padding', () => {
    const lines = new GitOutputLines();
    expect(lines.push('remote: ==> [12:00:00] build        \nremote: (stand-')).toEqual(['remote: ==> [12:00:00] build']);
    expect(lines.push('in) building\u001b[K\nWriting objects:  50% (1/2)\rWriting objects: 100% (2/2), done.\r\n')).toEqual([
      'remote: (stand-in) building',
      'Writing objects:  50% (1/2)',
      'Writing objects: 100% (2/2), done.',
    ]);
    expect(lines.push('To /srv/nebula.git')).toEqual([]);
    expect(lines.end()).toEqual(['To /srv/nebula.git']);
  });

  it('keeps a character whose bytes are cut between two chunks, and an ESC[K cut the same way', () => {
    const lines = new GitOutputLines();
    const bytes = Buffer.from('remote: DEPLOYED abc1234 "Café 🎬" as releases/r in 1 s\u001b[K\n');
    const cut = bytes.indexOf(Buffer.from('é')) + 1;
    const esc = bytes.indexOf(0x1b) + 1;
    expect(lines.push(bytes.subarray(0, cut))).toEqual([]);
    expect(lines.push(bytes.subarray(cut, esc))).toEqual([]);
    expect(lines.push(bytes.subarray(esc))).toEqual(['remote: DEPLOYED abc1234 "Café 🎬" as releases/r in 1 s']);
  });

  it('tells the hook\'s lines from git\'s own', () => {
    expect(remoteText('remote: DEPLOYED abc1234 "x" as releases/r in 1 s')).toBe('DEPLOYED abc1234 "x" as releases/r in 1 s');
    expect(remoteText('remote:')).toBe('');
    expect(remoteText('To /srv/nebula.git')).toBeNull();
  });
});
