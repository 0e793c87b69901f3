import { ConfigError } from '@nebula/shared';
import { BackupError } from './stack';

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** One line (or the config's list) for the terminal: what went wrong and what to do, never a stack trace. */
export function describeFailure(error: unknown): string {
  if (error instanceof BackupError || error instanceof ConfigError) return error.message;
  const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e?.code === 'ECONNREFUSED') {
    return `cannot connect to ${e.address ?? '?'}:${e.port ?? '?'} (connection refused): is Nebula (its Postgres) running?`;
  }
  if (e?.code === 'ENOSPC') return `the disk is full (${e.message})`;
  return e instanceof Error ? e.message : String(error);
}
