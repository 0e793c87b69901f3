import { CliError, EXIT } from '../errors';
import type { ScriptResult } from './server-shell';

/** ssh's own exit code when it could not connect or was cut off (ssh(1), EXIT STATUS). */
const SSH_FAILED = 255;

/** Lines that ssh prints on stderr without anything having gone wrong. */
const SSH_CHATTER = /^Warning: Permanently added /;

/**
 * Why a server script failed, in one line: the first line it wrote to stderr; else its last
 * non-empty line on stdout, where the hooks say most things ("gave up waiting for the deploy lock");
 * else its exit code.
 */
export function scriptReason(result: ScriptResult): string {
  const stderr = result.stderr.map((line) => line.trim()).find((line) => line && !SSH_CHATTER.test(line));
  const stdout = result.stdout.map((line) => line.trim()).findLast((line) => line);
  return stderr ?? stdout ?? `exit ${result.code}`;
}

/**
 * The error for a server script that exited non-zero, the same for every command that runs one:
 * ssh failing is "unreachable" (exit 3), a missing script or hook "not installed" (exit 1), and
 * anything else the script's own reason (exit 1, with `code`).
 */
export function scriptFailure(result: ScriptResult, what: string, url: string, code: string): CliError {
  const reason = scriptReason(result);
  if (result.code === SSH_FAILED) return new CliError(`${what}: ssh could not run it on the server: ${reason} (remote ${url})`, EXIT.unreachable, 'unreachable');
  // 126/127: the shell found no script to run (or could not run it).
  if (result.code === 126 || result.code === 127) return new CliError(`${what}: ${reason} (remote ${url}; hooks/install.sh sets the server up)`, EXIT.failed, 'not_installed');
  return new CliError(`${what}: ${reason}`, EXIT.failed, code);
}
