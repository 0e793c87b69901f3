import type { EntryDto, MediaJobDto, NebulaEvent } from '@nebula/contract';
import type { NebulaClient } from '../api-client';
import type { CommandContext } from '../context';
import { CliError, EXIT } from '../errors';
import { followEvents } from '../event-stream';
import { inScope, isFinished, JobBoard, type JobView } from '../job-board';
import { normaliseRemotePath } from '../remote-path';

export interface StatusOptions {
  watch?: boolean;
  /** How many finished jobs to show besides the running ones. */
  recent: number;
}

/**
 * nebula status [path] [--watch]: media jobs, running ones with percent, fps, speed and ETA.
 * Without a path: every job in flight and the last finished ones. With --watch, the jobs follow the
 * event stream live; for a path, until every job under it is finished (exit 1 if one failed).
 */
export async function status(path: string | undefined, options: StatusOptions, context: CommandContext): Promise<number> {
  const client = await context.client();
  const scope = path === undefined ? '/' : normaliseRemotePath(path);
  const entry = scope === '/' ? null : await client.lookup(scope);
  const empty = entry ? `no media jobs for ${entry.path}` : 'no media jobs';

  if (!options.watch) {
    const listed = await snapshot(client, entry, options.recent);
    const jobs = new JobBoard(listed.jobs).all().filter((job) => inScope(job.path, scope));
    if (context.output.json) {
      for (const job of jobs) context.output.event({ event: 'job', ...job });
      if (listed.more > 0) context.output.event({ event: 'more', jobs: listed.more });
      return EXIT.ok;
    }
    const { StatusScreen } = await import('../ui/status-screen');
    await new StatusScreen(jobs, context.output.color, empty, listed.more).finish();
    return EXIT.ok;
  }

  // Where the stream starts, read first: a reconnect then always has a Last-Event-ID, even when the
  // gateway restarts before the first event arrived, and events from the gap are not lost.
  const newest = (await client.events({ limit: 1 })).at(-1)?.id ?? '0';

  const stop = new AbortController();
  let interrupted = false;
  const interrupt = () => {
    if (interrupted) process.exit(EXIT.interrupted); // a second Ctrl-C: leave now
    if (stop.signal.aborted) return; // the watch was over already
    interrupted = true;
    stop.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);

  // Listen first, then read the snapshot: nothing that happens in between is missed.
  let board: JobBoard | null = null;
  const early: NebulaEvent[] = [];
  let connected!: () => void;
  const ready = new Promise<void>((resolve) => (connected = resolve));

  const screen = context.output.json ? null : new (await import('../ui/status-screen')).StatusScreen([], context.output.color, `${empty} (watching…)`);
  const inView = () => board!.all().filter((job) => inScope(job.path, scope));
  const show = (job: JobView | null, urgent = false) => {
    if (job && !inScope(job.path, scope)) return;
    if (job) context.output.event({ event: 'job', ...job });
    screen?.update(inView(), urgent);
  };
  const done = () => entry !== null && inView().every(isFinished);
  const resolvePath = (fileId: string) =>
    void client.entry(fileId).then(
      (found) => show(board!.setPath(fileId, found.path)),
      () => undefined,
    );
  const apply = (event: NebulaEvent) => {
    const change = board!.apply(event);
    if (!change) return;
    if ('removed' in change) {
      show(null, true);
    } else {
      if (!change.job.path) resolvePath(change.job.fileId);
      show(change.job, event.type !== 'media.progress');
    }
    if (done()) stop.abort();
  };

  const following = followEvents(client, {
    after: newest,
    signal: stop.signal,
    onEvent: (event) => (board ? apply(event) : early.push(event)),
    onConnection: (state, reason) => {
      if (state === 'connected') {
        connected();
        screen?.note(null);
      } else {
        context.output.event({ event: 'reconnecting', reason });
        screen?.note(`connection lost (${reason}); reconnecting…`);
      }
    },
  });
  try {
    await Promise.race([ready, following]);
    const listed = await snapshot(client, entry, options.recent);
    board = new JobBoard(listed.jobs);
    for (const job of inView()) show(job);
    if (listed.more > 0) context.output.event({ event: 'more', jobs: listed.more });
    screen?.update(inView(), true, listed.more);
    for (const event of early.splice(0)) apply(event);
    // Scripts (and tests) can act once the watch sees everything that happens from here on.
    context.output.event({ event: 'watching', path: scope });
    if (done()) stop.abort();
    await following;
  } finally {
    stop.abort();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    await screen?.finish();
  }

  if (interrupted) {
    const left = board ? inView().filter((job) => !isFinished(job)).length : 0;
    throw new CliError(`interrupted${left ? `: ${left} media job${left === 1 ? '' : 's'} still going on on the server (nebula status${scope === '/' ? '' : ` ${scope}`} shows them)` : ''}`, EXIT.interrupted, 'interrupted');
  }
  const failed = board ? inView().filter((job) => job.status === 'failed') : [];
  if (entry && failed.length > 0) {
    const first = failed[0]!;
    throw new CliError(`${failed.length === 1 ? 'the media job' : `${failed.length} media jobs`} failed: ${first.path}: ${first.error ?? 'no reason given'}`, EXIT.failed, 'media_failed');
  }
  return EXIT.ok;
}

/**
 * The jobs of the file or folder (the gateway filters by path), plus the file's own state when a
 * single file is asked about and is not among them; `more`: in-flight jobs beyond the list's limit.
 */
async function snapshot(client: NebulaClient, entry: EntryDto | null, recent: number): Promise<{ jobs: MediaJobDto[]; more: number }> {
  const { jobs, more } = await client.mediaJobs({ recent, path: entry?.path });
  if (entry?.kind !== 'file' || jobs.some((job) => job.fileId === entry.id)) return { jobs, more };
  const details = await client.media(entry.id);
  const last = details.attempts.at(-1);
  return {
    jobs: [
      ...jobs,
      { fileId: entry.id, path: entry.path, status: details.status, error: details.error, progress: null, attempt: last?.attempt ?? 0, node: last?.workerId?.replace(/:\d+$/, '') ?? null, updatedAt: last?.finishedAt ?? last?.startedAt ?? entry.updatedAt },
    ],
    more,
  };
}
