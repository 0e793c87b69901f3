import { fileSubject, type EventPayload, type EventType, type MediaState } from '@nebula/contract';
import { storageKeys } from '../storage-keys';
import { appendEvent } from './events.sql';
import { json, type Database, type Sql } from './sql';

/**
 * The media columns of `entries` (media_status, media_error, probe): written by the gateway (queue,
 * replay, the reconciler) and by the worker (every step of a run), always through here. The rest of
 * `entries` (the file tree) belongs to the gateway's EntriesRepository.
 */

/** A file as the media pipeline sees it when a job runs: what it is called and where its bytes are now. */
export interface MediaFile {
  id: string;
  name: string;
  /** Where its original sits in object storage. */
  storageKey: string;
  status: 'uploading' | 'ready';
  mediaStatus: MediaState;
}

/** A video `queued` or `processing` whose state has not changed for a while (MediaReconciler's work). */
export interface WaitingVideo {
  id: string;
  name: string;
  mediaStatus: 'queued' | 'processing';
  /** When its media state last changed (the worker writes it at every attempt). */
  updatedAt: Date;
  /** updated_at to the microsecond, as text: what a guarded change compares, a Date has only milliseconds. */
  version: string;
}

/** The state a change expects to find, so it does nothing when a worker moved the file meanwhile. */
export interface StateGuard {
  mediaStatus: MediaState;
  version: string;
}

/** The event that says why the state changed, written in the same transaction. */
/** The event a state change appends: a type with that type's data (the contract's EventDataMap). */
export type StateEvent<K extends EventType = EventType> = EventPayload<K> & { traceId?: string | null };

const VERSION = `(extract(epoch FROM updated_at) * 1000000)::bigint::text`;

export async function mediaFile(sql: Sql, id: string): Promise<MediaFile | null> {
  const rows: { id: string; name: string; storage_key: string | null; status: MediaFile['status']; media_status: MediaState }[] = await sql.query(
    `SELECT id, name, storage_key, status, media_status FROM entries WHERE id = $1 AND kind = 'file'`,
    [id],
  );
  const row = rows[0];
  return row ? { id: row.id, name: row.name, storageKey: row.storage_key ?? storageKeys.original(row.id), status: row.status, mediaStatus: row.media_status } : null;
}

/** Whether the file still exists as a finished upload: a deleted file's job stops. */
export async function mediaFileExists(sql: Sql, id: string): Promise<boolean> {
  const rows: unknown[] = await sql.query(`SELECT 1 FROM entries WHERE id = $1 AND kind = 'file' AND status = 'ready'`, [id]);
  return rows.length > 0;
}

/**
 * Sets a file's media state and its error; with a guard, only when the state is still the one
 * read. False when nothing changed (the file is gone, or the guard did not hold).
 */
export async function setMediaState(sql: Sql, fileId: string, state: MediaState, error: string | null, guard?: StateGuard): Promise<boolean> {
  const params: unknown[] = [fileId, state, error];
  let where = 'id = $1';
  if (guard) {
    params.push(guard.mediaStatus, guard.version);
    where += ` AND media_status = $4 AND ${VERSION} = $5`;
  }
  const rows: unknown[] = await sql.query(
    `WITH updated AS (UPDATE entries SET media_status = $2, media_error = $3, updated_at = now() WHERE ${where} RETURNING id) SELECT id FROM updated`,
    params,
  );
  return rows.length > 0;
}

/** What a state change may carry besides its event. */
export interface StateChange {
  /** Only when the state is still this one. */
  guard?: StateGuard;
  /** More writes that belong to the change (the worker ends its attempt with it): done in its transaction, only when it happens. */
  alongside?: (tx: Sql) => Promise<unknown>;
}

/**
 * setMediaState and the event that says so, in one transaction: both or neither. False (and no
 * event) when nothing changed.
 */
export function recordMediaState(db: Database, fileId: string, state: MediaState, error: string | null, event: StateEvent, change: StateChange = {}): Promise<boolean> {
  return db.transaction(async (tx) => {
    if (!(await setMediaState(tx, fileId, state, error, change.guard))) return false;
    await appendEvent(tx, { ...event, subject: fileSubject(fileId), traceId: event.traceId ?? null });
    await change.alongside?.(tx);
    return true;
  });
}

export async function saveProbe(sql: Sql, fileId: string, probe: object): Promise<void> {
  await sql.query(`WITH updated AS (UPDATE entries SET probe = $2 WHERE id = $1 RETURNING id) SELECT id FROM updated`, [fileId, json(probe)]);
}

/** Videos `queued` or `processing` whose state has not changed for `quietSeconds`, oldest first. */
export async function waitingVideos(sql: Sql, quietSeconds: number): Promise<WaitingVideo[]> {
  const rows: { id: string; name: string; media_status: WaitingVideo['mediaStatus']; updated_at: Date; version: string }[] = await sql.query(
    `SELECT id, name, media_status, updated_at, ${VERSION} AS version FROM entries
      WHERE kind = 'file' AND status = 'ready' AND media_status IN ('queued', 'processing')
        AND updated_at < now() - make_interval(secs => $1)
      ORDER BY updated_at LIMIT 1000`,
    [quietSeconds],
  );
  return rows.map((r) => ({ id: r.id, name: r.name, mediaStatus: r.media_status, updatedAt: r.updated_at, version: r.version }));
}
