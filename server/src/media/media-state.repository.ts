import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { recordMediaState, setMediaState, waitingVideos, type StateEvent, type WaitingVideo } from '@nebula/shared/db';

export type StuckVideo = WaitingVideo;

/** The media state of files, as the gateway writes it (queue, replay, the reconciler): the worker's SQL too (@nebula/shared/db). */
@Injectable()
export class MediaStateRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Videos `queued` or `processing` whose state has not changed for `quietSeconds`. */
  waiting(quietSeconds: number): Promise<StuckVideo[]> {
    return waitingVideos(this.db, quietSeconds);
  }

  /** A file now waits for its transcode, in the caller's transaction (its event is the caller's to write). */
  async markQueued(fileId: string, tx: EntityManager): Promise<void> {
    await setMediaState(tx, fileId, 'queued', null);
  }

  /**
   * Moves a video from its state to `to` with its event, in one transaction, unless its state moved
   * meanwhile (a worker took it up): false then, and nothing is written.
   */
  settle(video: StuckVideo, to: 'queued' | 'failed', error: string | null, event: StateEvent & { type: 'media.queued' | 'media.failed' }): Promise<boolean> {
    return recordMediaState(this.db, video.id, to, error, event, { guard: { mediaStatus: video.mediaStatus, version: video.version } });
  }
}
