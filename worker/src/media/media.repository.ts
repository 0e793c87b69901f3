import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { fileSubject, type EventDataMap, type EventType, type MediaState } from '@nebula/contract';
import { abandonRunningAttempts, appendEvent, finishAttempt, mediaFile, mediaFileExists, recordMediaState, saveProbe, startAttempt, type AttemptResult, type AttemptStep, type MediaFile, type StateEvent } from '@nebula/shared/db';

export type { AttemptResult, AttemptStep };
export type FileRow = MediaFile;

/**
 * What the worker reads and writes in Postgres: a file's media state and probe, the attempts
 * journal and events. The gateway owns the schema (its migrations); the SQL is the one the gateway
 * uses too (@nebula/shared/db).
 */
@Injectable()
export class MediaRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The file as it is now (its current name and storage key), or null. */
  file(id: string): Promise<FileRow | null> {
    return mediaFile(this.db, id);
  }

  /**
   * Sets the state (and its error) and appends the event that says so, in one transaction. False
   * (and no event) when the file is gone: it was deleted meanwhile. With `ending`, the attempt ends
   * in the same transaction: no one reads a file ready while its attempt still runs.
   */
  setState(fileId: string, state: MediaState, error: string | null, event: StateEvent, ending?: { attemptId: string; result: AttemptResult }): Promise<boolean> {
    return recordMediaState(this.db, fileId, state, error, event, ending && { alongside: (tx) => finishAttempt(tx, ending.attemptId, ending.result) });
  }

  /** Whether the file still exists (as a finished upload): a deleted file's job stops. */
  exists(fileId: string): Promise<boolean> {
    return mediaFileExists(this.db, fileId);
  }

  saveProbe(fileId: string, probe: object): Promise<void> {
    return saveProbe(this.db, fileId, probe);
  }

  async appendEvent<K extends EventType>(type: K, fileId: string, data: EventDataMap[K], traceId?: string): Promise<void> {
    await appendEvent(this.db, { type, subject: fileSubject(fileId), data, traceId: traceId ?? null } as Parameters<typeof appendEvent>[1]);
  }

  startAttempt(a: { fileId: string; jobId: string; attempt: number; runId: string; traceId?: string; workerId: string }): Promise<string> {
    return startAttempt(this.db, a);
  }

  finishAttempt(id: string, result: AttemptResult): Promise<void> {
    return finishAttempt(this.db, id, result);
  }

  /** Whether an attempt still runs: a node that takes a lost job over marks the old attempt failed. */
  async attemptRunning(id: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(`SELECT 1 FROM media_attempts WHERE id = $1 AND status = 'running'`, [id]);
    return rows.length > 0;
  }

  /** Attempts a killed worker left 'running': they ended when it died. */
  abandonRunningAttempts(fileId: string, jobId: string): Promise<void> {
    return abandonRunningAttempts(this.db, fileId, jobId);
  }
}
