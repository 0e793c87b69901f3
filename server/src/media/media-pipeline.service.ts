import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { fileIdOf, fileSubject, formatPath, type NebulaEvent } from '@nebula/contract';
import { EventsRepository } from '../events/events.repository';
import { EntriesRepository } from '../files/entries.repository';
import { isVideo } from '../uploads/media-kind';
import { MediaJobs, type FailedTranscode } from './media-jobs';
import { MediaStateRepository, type StuckVideo } from './media-state.repository';
import { ConflictError, NotFoundError } from '../errors/domain-errors';

/**
 * The one way into the media pipeline: queuing a fresh upload, replaying one, and the reconciler's
 * re-queuing. Postgres is the record of the work (the file's media state and its events), written
 * first; the queue only delivers it, and a job that never reaches Redis is found by MediaReconciler.
 */
@Injectable()
export class MediaPipeline {
  private readonly logger = new Logger('media');

  constructor(
    private readonly entries: EntriesRepository,
    private readonly events: EventsRepository,
    private readonly videos: MediaStateRepository,
    private readonly jobs: MediaJobs,
  ) {}

  /**
   * Records, in the caller's transaction, that a file waits for its transcode (state `queued` and a
   * `media.queued` event). The job itself is handed over by dispatch() once that transaction committed.
   */
  async recordQueued(fileId: string, data: Record<string, unknown>, traceId: string, tx: EntityManager): Promise<NebulaEvent> {
    await this.videos.markQueued(fileId, tx);
    return this.events.append({ type: 'media.queued', subject: fileSubject(fileId), data, traceId }, tx);
  }

  /** Hands a recorded file to the queue; false when Redis did not take it (the reconciler will). */
  dispatch(fileId: string, traceId: string): Promise<boolean> {
    return this.jobs.enqueue(fileId, traceId);
  }

  /** Replays an `upload.completed` event: the file's pipeline runs again. Returns the `media.queued` event. */
  async replay(eventId: string, traceId: string): Promise<NebulaEvent> {
    const event = await this.events.findById(eventId);
    if (!event) throw new NotFoundError('not_found', `no event ${eventId}`);
    if (event.type !== 'upload.completed') {
      throw new ConflictError('not_replayable', `${event.type} events cannot be replayed; upload.completed can (it re-runs the file's pipeline)`);
    }
    const fileId = fileIdOf(event.subject);
    const file = fileId ? await this.entries.findById(fileId) : null;
    if (!file || file.status !== 'ready') throw new ConflictError('gone', `the file of event ${eventId} no longer exists`);
    if (!isVideo(file.mime, file.name)) throw new ConflictError('not_replayable', `${file.name} is not a video: its pipeline has nothing to run`);
    const path = formatPath(await this.entries.segmentsOf(file.id));
    const queued = await this.entries.transaction((tx) => this.recordQueued(file.id, { path, replayOf: event.id }, traceId, tx));
    await this.dispatch(file.id, traceId);
    return queued;
  }

  /** The files that have a transcode job waiting, delayed or running. */
  filesWithLiveJobs(): Promise<Set<string>> {
    return this.jobs.filesWithLiveJobs();
  }

  /** The newest failed transcode of each file, among the latest failed jobs. */
  latestFailures(): Promise<Map<string, FailedTranscode>> {
    return this.jobs.latestFailures();
  }

  /**
   * Queues again a video left waiting with no job. The state is written first (unless a worker moved
   * it meanwhile: false, nothing done), so the reconciler's next pass waits before looking again.
   */
  async requeue(video: StuckVideo, traceId: string): Promise<boolean> {
    if (!(await this.videos.settle(video, 'queued', null, { type: 'media.queued', data: { recovered: true, was: video.mediaStatus }, traceId }))) return false;
    if (!(await this.dispatch(video.id, traceId))) return false;
    this.logger.log(`${video.name}: was ${video.mediaStatus} with no job in the queue; queued it again`);
    return true;
  }

  /** Records a failure the worker could not record; false when a worker moved the video meanwhile. */
  async failUnrecorded(video: StuckVideo, reason: string, traceId: string): Promise<boolean> {
    if (!(await this.videos.settle(video, 'failed', reason, { type: 'media.failed', data: { reason, recovered: true }, traceId }))) return false;
    this.logger.warn(`${video.name}: its transcode failed unrecorded; marked failed (${reason})`);
    return true;
  }
}
