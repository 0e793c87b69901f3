import { ConfigError } from '../config';
import { PreflightError } from './preflight';

/**
 * Runs a program's start-up and turns the failures a user can fix (bad config, an unreachable
 * dependency, a port in use) into one or a few lines on stderr and exit code 1, with no stack.
 */
export async function runMain(name: string, start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (error) {
    process.stderr.write(`${name}: ${describeStartupError(error)}\n`);
    process.exit(1);
  }
}

export function describeStartupError(error: unknown): string {
  if (error instanceof ConfigError || error instanceof PreflightError) return error.message;
  const e = error as NodeJS.ErrnoException & { port?: number; address?: string };
  if (e?.code === 'EADDRINUSE') return `port ${e.port ?? '?'} on ${e.address ?? 'this host'} is already in use (set NEBULA_PORT to another port, or stop what uses it)`;
  if (e?.code === 'EACCES' && e.port) return `not allowed to listen on port ${e.port} (ports below 1024 need root; set NEBULA_PORT)`;
  if (e?.code === 'EADDRNOTAVAIL') return `cannot listen on ${e.address ?? 'that address'}: it is not an address of this machine (check NEBULA_HOST)`;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/**
 * When started by `npm start`'s supervisor over an IPC channel, shut down if the supervisor goes
 * away (even by SIGKILL), so no gateway or worker outlives it.
 */
export function exitWithSupervisor(shutdown: () => void): void {
  if (typeof process.send === 'function') process.on('disconnect', shutdown);
}
