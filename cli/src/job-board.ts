import { fileIdOf, isWithin, type EventType, type MediaJobDto, type MediaState, type NebulaEvent } from '@nebula/contract';
import { formatDuration } from './format';

/** One file's media job as `nebula status` shows it. */
export interface JobView {
  fileId: string;
  /** '' until known (an event for a file the board has not seen names only its id). */
  path: string;
  status: MediaState;
  /** 0–100 while running, 100 when ready, null when unknown. */
  percent: number | null;
  fps: number | null;
  speed: number | null;
  etaSeconds: number | null;
  error: string | null;
  attempt: number;
  /** The worker node that runs (or last ran) the job; null when none did yet. */
  node: string | null;
  /** The master playlist is published: players can start while the rest is encoded. */
  playable: boolean;
  updatedAt: string;
}

export const isFinished = (job: JobView) => job.status === 'ready' || job.status === 'failed' || job.status === 'none';

export function jobFromDto(dto: MediaJobDto): JobView {
  return {
    fileId: dto.fileId,
    path: dto.path,
    status: dto.status,
    percent: dto.status === 'ready' ? 100 : (dto.progress?.percent ?? null),
    fps: dto.progress?.fps ?? null,
    speed: dto.progress?.speed ?? null,
    etaSeconds: dto.progress?.etaSeconds ?? null,
    error: dto.error,
    attempt: dto.attempt,
    node: dto.node ?? null,
    playable: dto.status === 'ready',
    updatedAt: dto.updatedAt,
  };
}

type MediaEventType = Extract<EventType, `media.${string}`>;
const isMediaEvent = (event: NebulaEvent): event is NebulaEvent<MediaEventType> => event.type.startsWith('media.');

/**
 * The media jobs of `nebula status --watch`: a snapshot from GET /api/media/jobs, kept current by
 * the event stream. Pure: the caller feeds events and draws what changed.
 */
export class JobBoard {
  private readonly jobs = new Map<string, JobView>();

  constructor(snapshot: readonly MediaJobDto[] = []) {
    for (const dto of snapshot) this.jobs.set(dto.fileId, jobFromDto(dto));
  }

  /** In the order the server lists them: running, queued, then finished, newest first. */
  all(): JobView[] {
    return [...this.jobs.values()];
  }

  get(fileId: string): JobView | undefined {
    return this.jobs.get(fileId);
  }

  setPath(fileId: string, path: string): JobView | null {
    const job = this.jobs.get(fileId);
    if (!job) return null;
    job.path = path;
    return job;
  }

  /** Applies one event; returns the job it changed (null if none), or `removed` for a deleted file. */
  apply(event: NebulaEvent): { job: JobView } | { removed: string } | null {
    if (event.type === 'file.moved') return this.moved(event);
    const fileId = fileIdOf(event.subject);
    if (!fileId) return null;
    if (event.type === 'file.deleted') return this.jobs.delete(fileId) ? { removed: fileId } : null;
    if (!isMediaEvent(event)) return null;

    const known = this.jobs.get(fileId);
    // The worker sends progress without waiting for it to be stored, so one can land after the
    // job's media.ready or media.failed, or after a retry was queued: only a running job (or one
    // first seen now) takes it.
    if (known && event.type === 'media.progress' && known.status !== 'processing') return null;
    const job = known ?? this.blank(fileId, event.time);
    job.updatedAt = event.time;
    switch (event.type) {
      case 'media.queued':
        if (event.data.path) job.path = event.data.path;
        // A retry is queued with the reason the last attempt failed.
        Object.assign(job, { status: 'queued', percent: null, fps: null, speed: null, etaSeconds: null, error: event.data.reason ?? null, playable: false });
        break;
      case 'media.started':
        Object.assign(job, {
          status: 'processing',
          percent: 0,
          fps: null,
          speed: null,
          etaSeconds: null,
          error: null,
          attempt: event.data.attempt,
          // workerId is `<node name>:<pid>`.
          node: event.data.workerId?.replace(/:\d+$/, '') ?? job.node,
        });
        break;
      case 'media.progress':
        Object.assign(job, { status: 'processing', percent: event.data.percent, fps: event.data.fps, speed: event.data.speed, etaSeconds: event.data.etaSeconds });
        break;
      case 'media.playable':
        job.playable = true;
        break;
      case 'media.ready':
        if (event.data.audioOnly) {
          // The worker's word for an audio file: state 'none' after a look (attempt >= 1), no ladder to play.
          Object.assign(job, { status: 'none', percent: null, fps: null, speed: null, etaSeconds: null, error: null, playable: false, attempt: Math.max(job.attempt, 1) });
        } else {
          Object.assign(job, { status: 'ready', percent: 100, etaSeconds: 0, error: null, playable: true });
        }
        break;
      case 'media.failed':
        Object.assign(job, { status: 'failed', error: event.data.reason, etaSeconds: null });
        break;
    }
    this.jobs.set(fileId, job);
    return { job };
  }

  /** A moved file takes its new path; a moved folder takes the jobs below it along. */
  private moved(event: NebulaEvent<'file.moved'>): { job: JobView } | null {
    const { from, to } = event.data;
    let changed: JobView | null = null;
    for (const job of this.jobs.values()) {
      if (job.path === from) job.path = to;
      else if (isWithin(job.path, from)) job.path = `${to}${job.path.slice(from.length)}`;
      else continue;
      changed = job;
    }
    return changed ? { job: changed } : null;
  }

  private blank(fileId: string, time: string): JobView {
    return { fileId, path: '', status: 'queued', percent: null, fps: null, speed: null, etaSeconds: null, error: null, attempt: 0, node: null, playable: false, updatedAt: time };
  }
}

/**
 * The jobs that fit in `lines` terminal lines, and how many more there are to tell of on one more
 * line ("… N more"): the ones not drawn plus `more`, those the gateway did not list.
 */
export function fitJobs(jobs: readonly JobView[], lines: number, more = 0): { shown: JobView[]; more: number } {
  if (more === 0 && jobs.length <= lines) return { shown: [...jobs], more: 0 };
  const shown = jobs.slice(0, Math.max(0, lines - 1));
  return { shown, more: more + jobs.length - shown.length };
}

/** Whether a job's path is the watched file or lies in the watched folder ('/' takes all). */
export const inScope = (path: string, scope: string): boolean => isWithin(path, scope);

/** "45% 120 fps 4.0x ETA 12s", "queued", "ready", "failed: <reason>": what a job's row says after its name. */
export function describeJob(job: JobView): string {
  switch (job.status) {
    case 'processing': {
      const parts = [`${Math.floor(job.percent ?? 0)}%`];
      if (job.fps !== null) parts.push(`${Math.round(job.fps)} fps`);
      if (job.speed !== null) parts.push(`${job.speed.toFixed(1)}x`);
      if (job.etaSeconds !== null) parts.push(`ETA ${formatDuration(job.etaSeconds)}`);
      if (job.playable) parts.push('playable');
      if (job.node) parts.push(`on ${job.node}`);
      return parts.join('  ');
    }
    case 'queued':
      return job.error ? `queued again (attempt ${job.attempt} failed: ${job.error})` : 'queued';
    case 'ready':
      return 'ready';
    case 'none':
      // The worker marks an audio file 'none' once it looked: there is no ladder to make.
      return job.attempt > 0 ? 'ready (audio only: no ladder needed)' : 'no media job (not a video)';
    case 'failed':
      return `failed: ${job.error ?? 'no reason given'}`;
  }
}
