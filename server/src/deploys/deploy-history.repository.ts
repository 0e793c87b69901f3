import { Inject, Injectable } from '@nestjs/common';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { createInterface } from 'node:readline';
import type { DeployRecord } from '@nebula/contract';
import type { Config } from '@nebula/shared';
import { CONFIG } from '../config/config.module';

/** The deploy hook's history files, read-only: deploys.jsonl and the per-deploy logs. */
@Injectable()
export class DeployHistoryRepository {
  constructor(@Inject(CONFIG) private readonly config: Config) {}

  /** Every record in the file, oldest first; a line that is not a record is skipped. */
  async all(): Promise<DeployRecord[]> {
    const records: DeployRecord[] = [];
    const stream = createReadStream(join(this.config.deployHistoryDir, 'deploys.jsonl'), 'utf8');
    try {
      for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
        const record = parseRecord(line);
        if (record) records.push(record);
      }
    } catch (error) {
      // No history yet (embedded stack, or a server that never deployed with the hook).
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return records;
  }

  /** A deploy's log text, or null when the record names none that exists. */
  async log(record: DeployRecord): Promise<string | null> {
    const relative = normalize(record.log);
    if (relative.startsWith('..') || relative.startsWith('/')) return null;
    return readFile(join(this.config.deployHistoryDir, relative), 'utf8').catch(() => null);
  }
}

export function parseRecord(line: string): DeployRecord | null {
  if (!line.trim()) return null;
  try {
    const value = JSON.parse(line) as Partial<DeployRecord>;
    return typeof value.id === 'string' && typeof value.commit === 'string' && typeof value.result === 'string' ? (value as DeployRecord) : null;
  } catch {
    return null;
  }
}
