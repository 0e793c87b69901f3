import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { fileSubject, type EventPayload } from '@nebula/contract';

const VERSION = `(extract(epoch FROM updated_at) * 1000000)::bigint::text`;

export interface StuckVideo {
  id: string;
  name: string;
  mediaStatus: 'queued' | 'processing';
  /** When its media state last changed (the worker writes it at every attempt). */
  updatedAt: Date;
  /** updated_at to the microsecond, as text: what settle() compares, a Date has only milliseconds. */
  version: string;
}

/** The rows MediaReconciler reads and writes: videos waiting for a transcode, and their way out. */
@Injectable()
export class StuckMediaRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Videos `queued` or `processing` whose state has not changed for `quietSeconds`. */
  async waiting(quietSeconds: number): Promise<StuckVideo[]> {
    const rows: { id: string; name: string; media_status: StuckVideo['mediaStatus']; updated_at: Date; version: string }[] = await this.db.query(
      `SELECT id, name, media_status, updated_at, ${VERSION} AS version FROM entries
        WHERE kind = 'file' AND status = 'ready' AND media_status IN ('queued', 'processing')
          AND updated_at < now() - make_interval(secs => $1)
        ORDER BY updated_at LIMIT 1000`,
      [quietSeconds],
    );
    return rows.map((r) => ({ id: r.id, name: r.name, mediaStatus: r.media_status, updatedAt: r.updated_at, version: r.version }));
  }

  /**
   * Moves a video from `from` to `to` with its event, in one transaction, unless its state moved
   * meanwhile (a worker took it up): false then, and nothing is written.
   */
  async settle(video: StuckVideo, to: 'queued' | 'failed', error: string | null, event: EventPayload<'media.queued' | 'media.failed'> & { traceId: string }): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // As a SELECT: TypeORM answers a bare UPDATE with [rows, count] instead of the rows.
      const rows: unknown[] = await tx.query(
        `WITH updated AS (
           UPDATE entries SET media_status = $2, media_error = $3, updated_at = now()
            WHERE id = $1 AND media_status = $4 AND ${VERSION} = $5 RETURNING id)
         SELECT id FROM updated`,
        [video.id, to, error, video.mediaStatus, video.version],
      );
      if (rows.length === 0) return false;
      await tx.query(`INSERT INTO events (type, subject, data, trace_id) VALUES ($1, $2, $3, $4)`, [event.type, fileSubject(video.id), event.data, event.traceId]);
      return true;
    });
  }
}
