/**
 * The HTTP API's shapes, as the gateway sends them and the CLI and web UI read them.
 * Paths are absolute, slash-separated, without a trailing slash ("/" is the root folder).
 */

export type EntryKind = 'folder' | 'file';

/** A file is `uploading` from the moment its upload is created (its path is reserved) until its last byte is verified. */
export type FileStatus = 'uploading' | 'ready';

export type MediaState = 'none' | 'queued' | 'processing' | 'ready' | 'failed';

export interface EntryDto {
  id: string;
  kind: EntryKind;
  name: string;
  path: string;
  /** Bytes; null for folders. */
  size: number | null;
  mime: string | null;
  sha256: string | null;
  status: FileStatus;
  /** Media pipeline state for files; null for folders. */
  media: { status: MediaState; error: string | null } | null;
  /** The tailnet user who uploaded it, when known. */
  owner: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface FolderListing {
  path: string;
  entries: EntryDto[];
}

/** POST /api/folders */
export interface CreateFolderRequest {
  path: string;
  /** Create missing parent folders too (like mkdir -p). */
  parents?: boolean;
}

/** PATCH /api/files/{id}: rename, move, or both. */
export interface MoveRequest {
  name?: string;
  /** Path of the destination folder. */
  folder?: string;
}

/**
 * tus Upload-Metadata keys the gateway reads. `filename` and `filetype` are what tus-js-client and
 * Uppy send by default, so any tus client works; `sha256` is optional but lets the gateway refuse
 * a corrupted upload (it always computes and records the hash itself).
 */
export const UPLOAD_METADATA = {
  name: 'filename',
  folder: 'folder',
  sha256: 'sha256',
  mime: 'filetype',
} as const;

export const UPLOADS_PATH = '/api/uploads';

/** Every error the API sends: a stable `code` for programs and a sentence for people. */
export interface ApiErrorBody {
  statusCode: number;
  code: string;
  message: string;
}

/**
 * One deploy, as the post-receive hook records it in history/deploys.jsonl (see hooks/README.md)
 * and GET /api/deploys serves it, newest first.
 */
export interface DeployRecord {
  id: string;
  release: string;
  kind: 'push' | 'rollback';
  commit: string;
  subject: string;
  ref: string;
  /** rolled_back: it failed and the previous release runs again; failed: nothing healthy was restored. */
  result: 'success' | 'rolled_back' | 'failed';
  reason?: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Relative to the history folder, e.g. logs/20260301T120000Z-abc1234.log */
  log: string;
  previousCommit: string | null;
}

/** One try of a file's media job, as the worker journals it. */
export interface MediaAttemptDto {
  jobId: string;
  attempt: number;
  runId: string;
  /** Which acceleration path produced (or last tried) the result, e.g. vaapi-hw-decode or software. */
  accelPath: string | null;
  status: 'running' | 'succeeded' | 'failed';
  error: string | null;
  /** Every fallback step tried in this attempt, with the error of the ones that failed. */
  steps: { path: string; error?: string }[];
  workerId: string | null;
  traceId: string | null;
  startedAt: string;
  finishedAt: string | null;
}

/** GET /api/files/{id}/media */
export interface MediaDetails {
  status: MediaState;
  error: string | null;
  /** What ffprobe found, once the worker has looked. */
  probe: Record<string, unknown> | null;
  /** The master playlist, once playable. */
  hls: string | null;
  poster: string | null;
  attempts: MediaAttemptDto[];
}
