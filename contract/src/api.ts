import type { ApiErrorBody } from './errors';

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
  /**
   * The sample hash (sha256 of the size and a few sampled blocks, see sample-hash.ts) of a ready
   * file: a client finds files that may equal one of its own without reading either in full. Null
   * for files stored before it existed, and for folders.
   */
  sample?: string | null;
  status: FileStatus;
  /** Media pipeline state for files; null for folders. */
  media: MediaSummary | null;
  /** The tailnet user who uploaded it, when known. */
  owner: string | null;
  createdAt: string;
  updatedAt: string;
  /**
   * While `status` is `uploading`: how far the upload got. Who started it is `owner`, and when is
   * `createdAt`. Null once the file is ready (and for folders).
   */
  upload?: UnfinishedUpload | null;
}

/**
 * An upload that has not finished, maybe abandoned on another device. Its owner can resume it
 * from any device (tus HEAD + PATCH at `url`, with the same file: same size and sha256), or give
 * it up (tus DELETE at `url`) to upload anew; anybody else hears 409 `upload_in_progress`.
 */
export interface UnfinishedUpload {
  /** Bytes the gateway has received (the tus Upload-Offset); null when its upload record is gone (expired). */
  received: number | null;
  /** The tus upload URL, relative to the gateway: /api/uploads/<id>. */
  url: string;
  /** The sha256 its uploader declared, if any: a resume must send the same bytes. */
  sha256: string | null;
  /** The sample hash its uploader declared, if any (a client that hashes while sending declares this instead of the sha256). */
  sample?: string | null;
  /** When the gateway gives it up if it is still unfinished (NEBULA_UPLOAD_EXPIRY_HOURS after it started). */
  expiresAt: string;
}

/** The 409 body when a name is taken by someone's unfinished upload (code `upload_in_progress`). */
export interface UploadInProgressError extends ApiErrorBody {
  upload: UnfinishedUpload & { owner: string | null; startedAt: string; size: number | null };
}

/**
 * A file's media state, and what ffprobe found once the worker has looked (null before, and for
 * what is not audio or video): the length, and the picture's size as shown (after rotation and
 * the sample aspect ratio), so a portrait phone video is 1080×1920.
 */
export interface MediaSummary {
  status: MediaState;
  error: string | null;
  durationSeconds?: number | null;
  width?: number | null;
  height?: number | null;
}

export interface FolderListing {
  path: string;
  entries: EntryDto[];
}

/** GET /api/search?q=&limit=&offset=: entries anywhere whose name holds `q` (case and accents ignored), best first. */
export interface SearchResults {
  q: string;
  /** Each with its full path. */
  entries: EntryDto[];
  /** How many entries match in all. */
  total: number;
  /** The `offset` of the next page; null on the last one. */
  nextOffset: number | null;
}

/** The most results one search page holds (`limit`), and the default. */
export const SEARCH_LIMIT = { default: 50, max: 200 } as const;

/** GET /api/version: what the gateway runs. */
export interface VersionDto {
  /** Nebula's package version. */
  version: string;
  /** The git commit deployed (the release's REVISION, given by the deploy hook as NEBULA_COMMIT); null when unknown (npm start). */
  commit: string | null;
  /** The release folder's name under data/releases (NEBULA_RELEASE), when deployed by git push. */
  release: string | null;
  /** When this gateway process started. */
  startedAt: string;
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
  /** The sample hash (sampleHash in sample-hash.ts) of the file being sent: lets its owner find it again to resume it. */
  sample: 'sample',
  mime: 'filetype',
} as const;

/**
 * A client that hashes while it sends declares the sha256 on the PATCH that carries the last byte,
 * in this header (hex), instead of in the metadata at creation; the gateway checks it the same way.
 */
export const UPLOAD_SHA256_HEADER = 'Upload-Sha256';

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

/** One file's place in the media pipeline, as GET /api/media/jobs lists it (`nebula status`). */
export interface MediaJobDto {
  fileId: string;
  path: string;
  status: MediaState;
  /** Why it failed (or why the last attempt failed, while a retry is queued). */
  error: string | null;
  /** The latest progress of the running attempt; null when none is running or none was reported yet. */
  progress: { percent: number; fps: number | null; speed: number | null; etaSeconds: number | null } | null;
  /** The attempt running or last run (1-based); 0 before the first starts. */
  attempt: number;
  /** The worker node (its name, as `nebula nodes` lists it) that runs or last ran it; null before any did. */
  node?: string | null;
  updatedAt: string;
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
  /** The seek previews: a WebVTT track whose cues point at sprite-sheet tiles (`sprite_000.jpg#xywh=x,y,w,h`). */
  storyboard: string | null;
  attempts: MediaAttemptDto[];
}

/**
 * GET /api/me: who the gateway thinks is calling. `user` is the tailnet login (recorded as the
 * `owner` of what they upload), or null when nothing names one and Nebula has a single owner.
 * `via` says where it came from: `tailscale serve`'s identity headers, tailscaled's `whois`, or
 * neither.
 */
export interface MeDto {
  user: string | null;
  /** The user's display name, when Tailscale gives one. */
  name: string | null;
  via: 'header' | 'whois' | 'single-owner';
  /** The caller's address as the gateway judged it (the forwarded one behind a trusted proxy). */
  address: string;
}
