import type { DeployRecord } from '@nebula/contract';

/**
 * The deploy records in the text of history/deploys.jsonl, newest first; lines that are not a
 * record are skipped, as the gateway does.
 */
export function parseDeployRecords(lines: readonly string[]): DeployRecord[] {
  const records: DeployRecord[] = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    try {
      const value = JSON.parse(line) as Partial<DeployRecord>;
      if (typeof value.id === 'string' && typeof value.commit === 'string' && typeof value.result === 'string') records.push(value as DeployRecord);
    } catch {
      // a torn or foreign line
    }
  }
  return records.reverse();
}

/** The record of what runs now: the newest successful one, if main on the server names its commit. */
export function runningRecord(records: readonly DeployRecord[], serverMain: string | null): DeployRecord | null {
  const newest = records.find((record) => record.result === 'success');
  return newest && serverMain && newest.commit === serverMain ? newest : null;
}

/** "success", "rolled back: <reason>", "failed: <reason>" */
export function describeResult(record: DeployRecord): string {
  if (record.result === 'success') return 'success';
  const word = record.result === 'rolled_back' ? 'rolled back' : 'failed';
  return record.reason ? `${word}: ${record.reason}` : word;
}
