import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { MediaJobDto, MediaState } from '@nebula/shared';

interface JobRow {
  id: string;
  names: string[];
  media_status: MediaState;
  media_error: string | null;
  updated_at: Date;
  progress: { percent?: number; fps?: number | null; speed?: number | null; etaSeconds?: number | null } | null;
  attempt: number | null;
}

/**
 * The files the media pipeline is working on (queued, processing) and the ones it finished last
 * (ready, failed), with their paths and the latest progress of the running attempt. Read-only.
 */
@Injectable()
export class MediaJobListRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async list(recent: number): Promise<MediaJobDto[]> {
    const rows: JobRow[] = await this.db.query(
      `WITH RECURSIVE picked AS (
         (SELECT id, parent_id, name, media_status, media_error, updated_at FROM entries
           WHERE kind = 'file' AND media_status IN ('queued', 'processing'))
         UNION ALL
         (SELECT id, parent_id, name, media_status, media_error, updated_at FROM entries
           WHERE kind = 'file' AND media_status IN ('ready', 'failed') ORDER BY updated_at DESC LIMIT $1)
       ), up AS (
         SELECT id AS file_id, parent_id, ARRAY[name] AS names FROM picked
         UNION ALL
         SELECT up.file_id, e.parent_id, ARRAY[e.name] || up.names FROM up JOIN entries e ON e.id = up.parent_id
       )
       SELECT p.id, up.names, p.media_status, p.media_error, p.updated_at,
              (SELECT max(a.attempt) FROM media_attempts a WHERE a.file_id = p.id) AS attempt,
              CASE WHEN p.media_status = 'processing' THEN (
                -- Progress of this attempt only: nothing reported before its media.started.
                SELECT ev.data FROM events ev
                 WHERE ev.subject = 'file:' || p.id AND ev.type = 'media.progress'
                   AND ev.id > coalesce((SELECT max(s.id) FROM events s WHERE s.subject = 'file:' || p.id AND s.type = 'media.started'), 0)
                 ORDER BY ev.id DESC LIMIT 1
              ) END AS progress
         FROM picked p JOIN up ON up.file_id = p.id AND up.parent_id IS NULL
        ORDER BY CASE p.media_status WHEN 'processing' THEN 0 WHEN 'queued' THEN 1 ELSE 2 END, p.updated_at DESC`,
      [recent],
    );
    return rows.map((row) => ({
      fileId: row.id,
      path: `/${row.names.join('/')}`,
      status: row.media_status,
      error: row.media_error,
      progress: row.progress
        ? { percent: row.progress.percent ?? 0, fps: row.progress.fps ?? null, speed: row.progress.speed ?? null, etaSeconds: row.progress.etaSeconds ?? null }
        : null,
      attempt: row.attempt ?? 0,
      updatedAt: row.updated_at.toISOString(),
    }));
  }
}
