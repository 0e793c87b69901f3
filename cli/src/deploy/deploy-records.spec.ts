import { describe, expect, it } from 'vitest';
import type { DeployRecord } from '@nebula/contract';
import { describeResult, parseDeployRecords, runningRecord } from './deploy-records';

const record = (id: string, commit: string, result: DeployRecord['result'], reason?: string): DeployRecord => ({
  id,
  release: id,
  kind: 'push',
  commit,
  subject: `subject ${id}`,
  ref: 'refs/heads/main',
  result,
  ...(reason ? { reason } : {}),
  startedAt: '2026-03-01T12:00:00.000Z',
  finishedAt: '2026-03-01T12:00:05.000Z',
  durationMs: 5000,
  log: `logs/${id}.log`,
  previousCommit: null,
});

describe('deploy records', () => {
  it('reads deploys.jsonl newest first, skipping lines that are not records', () => {
    const a = record('a', 'a'.repeat(40), 'success');
    const b = record('b', 'b'.repeat(40), 'rolled_back', 'gateway health check did not pass within 120 s');
    expect(parseDeployRecords([JSON.stringify(a), '{"torn":', '', JSON.stringify({ id: 'x' }), JSON.stringify(b)])).toEqual([b, a]);
  });

  it('names the one that runs: the newest success, when main on the server agrees', () => {
    const records = [record('c', 'c'.repeat(40), 'rolled_back'), record('b', 'b'.repeat(40), 'success'), record('a', 'a'.repeat(40), 'success')];
    expect(runningRecord(records, 'b'.repeat(40))).toBe(records[1]);
    expect(runningRecord(records, 'c'.repeat(40))).toBeNull();
    expect(runningRecord(records, null)).toBeNull();
  });

  it('says the result in words, with the reason', () => {
    expect(describeResult(record('a', 'a', 'success'))).toBe('success');
    expect(describeResult(record('b', 'b', 'rolled_back', 'docker compose build failed (exit 1)'))).toBe('rolled back: docker compose build failed (exit 1)');
    expect(describeResult(record('c', 'c', 'failed'))).toBe('failed');
  });
});
