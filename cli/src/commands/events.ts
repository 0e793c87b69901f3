import { EVENT_TYPES, isEventType, type EventType, type NebulaEvent } from '@nebula/contract';
import type { CommandContext } from '../context';
import { CliError, EXIT } from '../errors';
import { followEvents } from '../event-stream';
import { formatTime } from '../format';

export interface EventsOptions {
  follow?: boolean;
  type?: string;
  limit: number;
}

/** "12  2026-03-01 14:05  media.ready  /films/clip.mp4  accelPath=software rungs=…" */
export function eventLine(event: NebulaEvent): string {
  // Every type's data, printed whole: read as plain fields here, not through EventDataMap.
  const { path, ...data } = event.data as Record<string, unknown>;
  const details = Object.entries(data)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return [event.id.padStart(6), formatTime(event.time), event.type.padEnd(16), typeof path === 'string' ? path : event.subject, details].filter(Boolean).join('  ');
}

export function parseEventType(type: string | undefined): EventType | undefined {
  if (type === undefined) return undefined;
  if (!isEventType(type)) throw new CliError(`unknown event type "${type}"; one of ${EVENT_TYPES.join(', ')}`, EXIT.usage, 'usage');
  return type;
}

/** nebula events [--follow] [--type T] [--limit N]: the newest events of the log, oldest first; --follow keeps printing new ones. */
export async function events(options: EventsOptions, context: CommandContext): Promise<number> {
  const type = parseEventType(options.type);
  const client = await context.client();
  let printed = 0n;
  const print = (event: NebulaEvent) => {
    // The stream resumes from the log's newest id, which a filtered listing may already have passed.
    if (BigInt(event.id) <= printed) return;
    printed = BigInt(event.id);
    context.output.line(eventLine(event), event);
  };
  // With --follow, where to resume is read first: whatever is appended after it, the stream brings.
  const newest = options.follow ? ((await client.events({ limit: 1 })).at(-1)?.id ?? '0') : null;
  (await client.events({ limit: options.limit, type })).forEach(print);
  if (newest === null) return EXIT.ok;

  const stop = new AbortController();
  let interrupted = false;
  const interrupt = () => {
    if (interrupted) process.exit(EXIT.interrupted); // a second Ctrl-C: leave now
    interrupted = true;
    stop.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  try {
    await followEvents(client, {
      after: newest,
      signal: stop.signal,
      onEvent: (event) => {
        if (!type || event.type === type) print(event);
      },
      onConnection: (state, reason) => {
        if (state === 'reconnecting') process.stderr.write(`nebula: connection lost (${reason}); reconnecting…\n`);
      },
    });
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
  // Following has no end of its own: Ctrl-C is how it stops, and it says so in the exit code, as `tail -f` does.
  if (interrupted) throw new CliError('interrupted', EXIT.interrupted, 'interrupted');
  return EXIT.ok;
}
