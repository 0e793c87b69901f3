import { ApiError } from '@nebula/contract';

// The API's one error class (the server answered with an error), from the contract; the commands
// import it from here with the CLI's own errors.
export { ApiError, parseErrorBody } from '@nebula/contract';

/** Exit codes, so scripts can tell "the server is down" from "that file does not exist". */
export const EXIT = {
  ok: 0,
  /** The command ran and something failed (e.g. one file of an upload). */
  failed: 1,
  /** Bad arguments. */
  usage: 2,
  unreachable: 3,
  notFound: 4,
  forbidden: 5,
  /** Ctrl-C or SIGTERM; 128 + SIGINT, as shells report it. */
  interrupted: 130,
} as const;

/** An error whose message is the one line the user sees. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
    readonly code = 'failed',
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The exit code for an error answer: scripts can tell a missing file and a refusal from other failures. */
export function exitCodeFor(error: ApiError): number {
  return error.status === 404 ? EXIT.notFound : error.status === 403 ? EXIT.forbidden : EXIT.failed;
}

export class UnreachableError extends CliError {
  constructor(server: string, reason: string) {
    super(`cannot reach the Nebula server at ${server}: ${reason} (is it running? nebula login <url>)`, EXIT.unreachable, 'unreachable');
    this.name = 'UnreachableError';
  }
}

/** Node's system error codes for "nobody answered", as undici and node:http surface them. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** The reason a request never got an answer (e.g. "ECONNREFUSED"), or null if `error` is something else. */
export function networkFailure(error: unknown): string | null {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    if (e instanceof AggregateError) {
      const inner = e.errors.map(networkFailure).find((reason) => reason !== null);
      if (inner) return inner;
    }
  }
  return null;
}

/** One line for any error: ours as they are, system errors with what they were about. */
export function describeError(error: unknown): { message: string; exitCode: number; code: string } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode, code: error.code };
  if (error instanceof ApiError) return { message: error.message, exitCode: exitCodeFor(error), code: error.code };
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  const path = (error as NodeJS.ErrnoException | undefined)?.path;
  if (errno === 'ENOENT' && path) return { message: `no such file or directory: ${path}`, exitCode: EXIT.notFound, code: 'not_found' };
  if (errno === 'EACCES' && path) return { message: `permission denied: ${path}`, exitCode: EXIT.failed, code: 'permission_denied' };
  if (errno === 'ENOSPC') return { message: `disk full${path ? ` while writing ${path}` : ''}`, exitCode: EXIT.failed, code: 'disk_full' };
  const message = error instanceof Error ? error.message : String(error);
  return { message: message.split('\n')[0] ?? message, exitCode: EXIT.failed, code: 'failed' };
}
