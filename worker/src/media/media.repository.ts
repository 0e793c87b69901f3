import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { fileSubject, type EventDataMap, type EventPayload, type EventType, type MediaState } from '@nebula/contract';

export interface FileRow {
  id: string;
  name: string;
  status: 'uploading' | 'ready';
  mediaStatus: MediaState;
}

export interface AttemptStep {
  path: string;
  error?: string;
}

/**
 * What the worker writes to Postgres: a file's media state and probe, the attempts journal and
 * events. The gateway owns the schema (its migrations); this is plain SQL against it.
 */
@Injectable()
export class MediaRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async file(id: string): Promise<FileRow | null> {
    const rows: { id: string; name: string; status: FileRow['status']; media_status: MediaState }[] = await this.db.query(
      `SELECT id, name, status, media_status FROM entries WHERE id = $1 AND kind = 'file'`,
      [id],
    );
    const row = rows[0];
    return row ? { id: row.id, name: row.name, status: row.status, mediaStatus: row.media_status } : null;
  }

  /**
   * Sets the state (and its error) and appends the event that says so, in one transaction. False
   * (and no event) when the file is gone: it was deleted meanwhile.
   */
  async setState(fileId: string, state: MediaState, error: string | null, event?: EventPayload & { traceId?: string }): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // As a SELECT: TypeORM answers a bare UPDATE with [rows, count] instead of the rows.
      const rows: { id: string }[] = await tx.query(
        `WITH updated AS (UPDATE entries SET media_status = $2, media_error = $3, updated_at = now() WHERE id = $1 RETURNING id) SELECT id FROM updated`,
        [fileId, state, error],
      );
      if (rows.length === 0) return false;
      if (event) await tx.query(`INSERT INTO events (type, subject, data, trace_id) VALUES ($1, $2, $3, $4)`, [event.type, fileSubject(fileId), event.data, event.traceId ?? null]);
      return true;
    });
  }

  /** Whether the file still exists (as a finished upload): a deleted file's job stops. */
  async exists(fileId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(`SELECT 1 FROM entries WHERE id = $1 AND kind = 'file' AND status = 'ready'`, [fileId]);
    return rows.length > 0;
  }

  async saveProbe(fileId: string, probe: object): Promise<void> {
    await this.db.query(`UPDATE entries SET probe = $2 WHERE id = $1`, [fileId, probe]);
  }

  async appendEvent<K extends EventType>(type: K, fileId: string, data: EventDataMap[K], traceId?: string): Promise<void> {
    await this.db.query(`INSERT INTO events (type, subject, data, trace_id) VALUES ($1, $2, $3, $4)`, [type, fileSubject(fileId), data, traceId ?? null]);
  }

  async startAttempt(a: { fileId: string; jobId: string; attempt: number; runId: string; traceId?: string; workerId: string }): Promise<string> {
    const rows: { id: string }[] = await this.db.query(
      `INSERT INTO media_attempts (file_id, job_id, attempt, run_id, trace_id, worker_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [a.fileId, a.jobId, a.attempt, a.runId, a.traceId ?? null, a.workerId],
    );
    return rows[0]!.id;
  }

  async finishAttempt(id: string, result: { status: 'succeeded' | 'failed'; accelPath: string | null; error: string | null; steps: AttemptStep[] }): Promise<void> {
    await this.db.query(`UPDATE media_attempts SET status = $2, accel_path = $3, error = $4, steps = $5, finished_at = now() WHERE id = $1`, [
      id,
      result.status,
      result.accelPath,
      result.error,
      JSON.stringify(result.steps),
    ]);
  }

  /** Attempts a killed worker left 'running': they ended when it died. */
  async abandonRunningAttempts(fileId: string, jobId: string): Promise<void> {
    await this.db.query(
      `UPDATE media_attempts SET status = 'failed', error = 'the worker stopped during this attempt', finished_at = now() WHERE file_id = $1 AND job_id = $2 AND status = 'running'`,
      [fileId, jobId],
    );
  }
}
