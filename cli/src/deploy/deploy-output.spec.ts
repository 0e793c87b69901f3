import { describe, expect, it } from 'vitest';
import { deployOutcome, GitOutputLines, remoteText } from './deploy-output';

const record = (fields: Record<string, unknown>): string =>
  JSON.stringify({ id: 'r', release: 'r', kind: 'push', commit: 'a'.repeat(40), subject: 's', ref: 'refs/heads/main', result: 'success', startedAt: '', finishedAt: '', durationMs: 0, log: 'logs/r.log', previousCommit: null, ...fields });

describe('deployOutcome', () => {
  it('reads the JSON record line of a good deploy, not the prose around it', () => {
    const lines = [
      '==> [12:00:00] health',
      'DEPLOY FAILED: this line is only what a commit subject could look like',
      'DEPLOYED abc1234 "fix: the \\"poster\\" size" as releases/20260301T120000Z-abc1234 in 42 s',
      record({ release: '20260301T120000Z-abc1234', commit: 'abc1234'.padEnd(40, '0'), subject: 'fix: the "poster" size', durationMs: 41_600 }),
    ];
    expect(deployOutcome(lines)).toEqual({ result: 'deployed', commit: 'abc1234', subject: 'fix: the "poster" size', release: '20260301T120000Z-abc1234', seconds: 42 });
  });

  it('reads the reason of a failed one, and what runs instead', () => {
    const line = record({ result: 'rolled_back', reason: 'the new gateway exited with code 1 at start', previousCommit: '1234567'.padEnd(40, 'f') });
    expect(deployOutcome(['failed: the new gateway exited with code 1 at start', line])).toEqual({
      result: 'failed',
      reason: 'the new gateway exited with code 1 at start; rolled back to 1234567',
    });
    expect(deployOutcome([record({ result: 'failed', reason: 'docker compose build failed (exit 1)' })])).toEqual({ result: 'failed', reason: 'docker compose build failed (exit 1); nothing runs now' });
  });

  it('takes the last record line when one push deployed twice (two refs)', () => {
    expect(deployOutcome([record({}), record({ result: 'rolled_back', reason: 'docker compose build failed (exit 1)', previousCommit: 'a'.repeat(40) })])).toEqual({
      result: 'failed',
      reason: 'docker compose build failed (exit 1); rolled back to aaaaaaa',
    });
  });

  it('reads rollbacks and a push that a later one superseded', () => {
    expect(deployOutcome([record({ kind: 'rollback', release: '20260301T120000Z-abc1234', commit: 'abc1234'.padEnd(40, '0'), subject: 'release 6' })])).toEqual({
      result: 'rolled_back',
      commit: 'abc1234',
      subject: 'release 6',
      release: '20260301T120000Z-abc1234',
    });
    expect(deployOutcome([record({ kind: 'rollback', result: 'rolled_back', reason: 'docker compose up failed (exit 1)', previousCommit: '1234567'.padEnd(40, '0') })])).toEqual({
      result: 'rollback_failed',
      reason: 'docker compose up failed (exit 1); 1234567 runs again',
    });
    expect(deployOutcome([JSON.stringify({ kind: 'push', commit: 'b'.repeat(40), result: 'superseded', supersededBy: 'c'.repeat(40) })])).toEqual({ result: 'superseded', commit: 'bbbbbbb', by: 'ccccccc' });
  });

  it('is null when the hooks printed no record (other branches, old hooks, a JSON-looking subject)', () => {
    expect(deployOutcome(['stored refs/heads/feature at abc1234 (only refs/heads/main deploys)'])).toBeNull();
    expect(deployOutcome(['DEPLOYED abc1234 "x" as releases/r in 1 s', '{"not":"a record"}', '{broken'])).toBeNull();
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
