import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import { pino, type DestinationStream, type Level, type LevelWithSilent, type Logger } from 'pino';

/**
 * Structured logs: one JSON object per line on stdout, from the gateway and the worker alike, each
 * carrying the trace id of the request or event that caused it. The trace travels in an
 * AsyncLocalStorage, entered where work starts (an HTTP request, a queue job), so code below never
 * passes it by hand. Lines outside any request or job (start-up, shutdown) carry the process's own
 * boot trace id, so every line has one and a search by trace id finds a whole story.
 *
 * Fields: level (label), time (ISO 8601), service, pid, context, msg, traceId, and fileId/jobId
 * where a job is running. ops/observability's promtail config relies on these names.
 */

export interface TraceContext {
  traceId: string;
  fileId?: string;
  jobId?: string;
}

const traces = new AsyncLocalStorage<TraceContext>();

/** The trace id of lines not caused by a request or job: this process starting up or stopping. */
export const bootTraceId = randomBytes(16).toString('hex');

/** Runs `fn` with `context` as the trace of every log line written inside it, however deep. */
export function runWithTrace<T>(context: TraceContext, fn: () => T): T {
  return traces.run(context, fn);
}

/** The trace being run, to enter again from a callback that may have lost it. */
export function currentTrace(): TraceContext | undefined {
  return traces.getStore();
}

export function currentTraceId(): string {
  return traces.getStore()?.traceId ?? bootTraceId;
}

export function createLogger(service: 'gateway' | 'worker', level: LevelWithSilent, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => ({ ...(traces.getStore() ?? { traceId: bootTraceId }) }),
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** Nest's own start-up lines (every module loaded, every route mapped): debug, not info. */
const NEST_CHATTER = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

/**
 * Nest's LoggerService on pino, so every `new Logger('context')` in the code writes JSON lines.
 * Nest calls `log(message, context)` and `error(message, stack, context)`; an Error as the message
 * keeps its stack in `err`.
 */
export class PinoNestLogger implements LoggerService {
  constructor(readonly pino: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write(NEST_CHATTER.has(String(rest.at(-1))) ? 'debug' : 'info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: Level, message: unknown, rest: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const params = [...rest];
    // Nest appends the logger's context last; a lone multi-line string is a stack trace, not a context.
    const last = params.at(-1);
    const context = typeof last === 'string' && !last.includes('\n') ? (params.pop() as string) : undefined;
    const fields: Record<string, unknown> = context ? { context } : {};
    const stack = params.find((p) => typeof p === 'string');
    if (stack) fields.stack = stack;
    if (message instanceof Error) {
      this.pino[level]({ ...fields, err: message }, message.message);
    } else if (message !== null && typeof message === 'object') {
      this.pino[level]({ ...fields, ...(message as Record<string, unknown>) });
    } else {
      this.pino[level](fields, String(message));
    }
  }
}
