import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { fileSubject, type EventDataMap, type MediaJobDto, type MediaState } from '@nebula/contract';

/** A file's event subject, as SQL text to append the id to: 'file:' (fileSubject's format). */
const FILE_SUBJECT_PREFIX = `'${fileSubject('')}'`;

interface JobRow {
  id: string;
  names: string[];
  media_status: MediaState;
  media_error: string | null;
  updated_at: Date;
  /** The latest media.progress event's data, read back from the log. */
  progress: Partial<EventDataMap['media.progress']> | null;
  attempt: number | null;
  worker_id: string | null;
  /** On queued and processing rows: how many there are in all (before the limit); pg returns int8 as a string. */
  in_flight: string | null;
}

/** A worker id is `<node name>:<pid>`: the name is what `nebula nodes` lists. */
export function nodeName(workerId: string | null): string | null {
  return workerId ? workerId.replace(/:\d+$/, '') : null;
}

export interface MediaJobQuery {
  /** How many finished (ready, failed) jobs to list, newest first. */
  recent: number;
  /** At most this many queued and processing jobs: running ones first, then the longest queued. */
  limit: number;
  /** Only files that are this entry or lie below it (a folder and everything under it); null: all. */
  under: string | null;
}

export interface MediaJobPage {
  jobs: MediaJobDto[];
  /** Queued and processing jobs (in scope) that the limit left out. */
  more: number;
}

/**
 * The files the media pipeline is working on (queued, processing) and the ones it finished last
 * (ready, failed), with their paths and the latest progress of the running attempt. Read-only.
 */
@Injectable()
export class MediaJobListRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async list(query: MediaJobQuery): Promise<MediaJobPage> {
    const inScope = query.under === null ? '' : 'AND id IN (SELECT id FROM scope)';
    const rows: JobRow[] = await this.db.query(
      `WITH RECURSIVE ${
        query.under === null
          ? ''
          : `scope AS (
         SELECT id FROM entries WHERE id = $3
         UNION ALL
         SELECT e.id FROM entries e JOIN scope ON e.parent_id = scope.id
       ), `
      }picked AS (
         -- count(*) OVER () is taken before the LIMIT: every in-flight job in scope.
         (SELECT id, parent_id, name, media_status, media_error, updated_at, count(*) OVER () AS in_flight FROM entries
           WHERE kind = 'file' AND media_status IN ('queued', 'processing') ${inScope}
           ORDER BY CASE media_status WHEN 'processing' THEN 0 ELSE 1 END, updated_at LIMIT $2)
         UNION ALL
         (SELECT id, parent_id, name, media_status, media_error, updated_at, NULL::bigint FROM entries
           WHERE kind = 'file' AND media_status IN ('ready', 'failed') ${inScope} ORDER BY updated_at DESC LIMIT $1)
       ), up AS (
         SELECT id AS file_id, parent_id, ARRAY[name] AS names FROM picked
         UNION ALL
         SELECT up.file_id, e.parent_id, ARRAY[e.name] || up.names FROM up JOIN entries e ON e.id = up.parent_id
       )
       SELECT p.id, up.names, p.media_status, p.media_error, p.updated_at, p.in_flight,
              (SELECT max(a.attempt) FROM media_attempts a WHERE a.file_id = p.id) AS attempt,
              (SELECT a.worker_id FROM media_attempts a WHERE a.file_id = p.id ORDER BY a.id DESC LIMIT 1) AS worker_id,
              CASE WHEN p.media_status = 'processing' THEN (
                -- Progress of this attempt only: nothing reported before its media.started.
                SELECT ev.data FROM events ev
                 WHERE ev.subject = ${FILE_SUBJECT_PREFIX} || p.id AND ev.type = 'media.progress'
                   AND ev.id > coalesce((SELECT max(s.id) FROM events s WHERE s.subject = ${FILE_SUBJECT_PREFIX} || p.id AND s.type = 'media.started'), 0)
                 ORDER BY ev.id DESC LIMIT 1
              ) END AS progress
         FROM picked p JOIN up ON up.file_id = p.id AND up.parent_id IS NULL
        ORDER BY CASE p.media_status WHEN 'processing' THEN 0 WHEN 'queued' THEN 1 ELSE 2 END, p.updated_at DESC`,
      query.under === null ? [query.recent, query.limit] : [query.recent, query.limit, query.under],
    );
    const inFlight = rows.filter((row) => row.in_flight !== null);
    return {
      jobs: rows.map((row) => ({
        fileId: row.id,
        path: `/${row.names.join('/')}`,
        status: row.media_status,
        error: row.media_error,
        progress: row.progress
          ? { percent: row.progress.percent ?? 0, fps: row.progress.fps ?? null, speed: row.progress.speed ?? null, etaSeconds: row.progress.etaSeconds ?? null }
          : null,
        attempt: row.attempt ?? 0,
        node: nodeName(row.worker_id),
        updatedAt: row.updated_at.toISOString(),
      })),
      more: inFlight.length ? Number(inFlight[0]!.in_flight) - inFlight.length : 0,
    };
  }
}
