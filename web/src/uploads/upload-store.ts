import { DetailedError, Upload } from 'tus-js-client';
import { api, ApiError, UNREACHABLE } from '../api';
import { joinPath, UPLOAD_METADATA, UPLOADS_PATH } from '@nebula/contract';
import type { FileToUpload } from './dropped-files';
import { sha256File } from './hash';

export type UploadPhase = 'waiting' | 'hashing' | 'uploading' | 'done' | 'skipped' | 'stopped' | 'failed';

export interface UploadItem {
  key: string;
  name: string;
  /** The folder it goes into. */
  folder: string;
  size: number;
  phase: UploadPhase;
  /** Bytes done in the current phase (hashed, or on the server). */
  bytes: number;
  /** The server already had this many bytes from an earlier try (a closed tab, a network cut). */
  resumedFrom: number;
  message: string | null;
  fileId: string | null;
}

/** Two files at a time: each is hashed in this tab first, and phones have little CPU to spare. */
const CONCURRENCY = 2;
/** After a network cut or a 5xx: keep trying for about a minute (a gateway restart, a Wi-Fi switch). */
const RETRY_DELAYS = [0, 1_000, 3_000, 5_000, 10_000, 10_000, 15_000, 15_000];

interface Job {
  item: UploadItem;
  file: File;
  upload?: Upload;
  hashing?: AbortController;
  /** Which run owns the job: Stop and Retry start a new one, and an older run's late steps are ignored. */
  run: number;
  /** Kept once known, so Retry does not read a big file again before resuming. */
  sha256?: string;
}

/**
 * The uploads of this tab, shown by the upload panel wherever the user browses. Each file is hashed
 * (sha256, chunk by chunk), skipped when the same content is already at its path, and otherwise sent
 * over tus exactly as the CLI does: the name, folder, sha256 and type in Upload-Metadata, the URL
 * remembered in localStorage before data flows, so choosing the same file again after the tab was
 * closed goes on from where the server stopped.
 */
class UploadStore {
  private jobs: Job[] = [];
  private snapshot: UploadItem[] = [];
  private readonly listeners = new Set<() => void>();
  private running = 0;
  private nextKey = 1;
  /** Called when a file landed, so the folder on screen can refresh without waiting for the event. */
  onLanded?: (folder: string) => void;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): UploadItem[] => this.snapshot;

  add(files: readonly FileToUpload[]): void {
    for (const { file, folder } of files) {
      this.jobs.push({
        file,
        run: 0,
        item: { key: String(this.nextKey++), name: file.name, folder, size: file.size, phase: 'waiting', bytes: 0, resumedFrom: 0, message: null, fileId: null },
      });
    }
    this.changed();
    this.pump();
  }

  /** Stops sending; the server keeps what it has, so Retry (or the same file, even in a new tab) resumes. */
  stop(key: string): void {
    const job = this.find(key);
    if (!job || !['waiting', 'hashing', 'uploading'].includes(job.item.phase)) return;
    const wasRunning = job.item.phase !== 'waiting';
    job.run++;
    job.hashing?.abort();
    void job.upload?.abort(false);
    job.upload = undefined;
    this.update(job, { phase: 'stopped', message: 'Stopped. Retry, or choose the same file again later, to go on from where it stopped.' });
    if (wasRunning) this.finished();
  }

  retry(key: string): void {
    const job = this.find(key);
    if (!job || !['stopped', 'failed'].includes(job.item.phase)) return;
    this.update(job, { phase: 'waiting', message: null, bytes: 0 });
    this.pump();
  }

  /** Takes finished rows off the list. */
  clearFinished(): void {
    this.jobs = this.jobs.filter((job) => !['done', 'skipped'].includes(job.item.phase));
    this.changed();
  }

  private find(key: string): Job | undefined {
    return this.jobs.find((job) => job.item.key === key);
  }

  private pump(): void {
    while (this.running < CONCURRENCY) {
      const job = this.jobs.find((j) => j.item.phase === 'waiting');
      if (!job) return;
      this.running++;
      void this.run(job, ++job.run);
    }
  }

  private finished(): void {
    this.running--;
    this.pump();
  }

  /**
   * One run of a job, holding one of the CONCURRENCY slots until it ends. Stop takes the job (and the
   * slot) away from the run; every step after an await checks that the run still owns the job.
   */
  private async run(job: Job, run: number): Promise<void> {
    const { file, item } = job;
    const path = joinPath(item.folder, file.name);
    const owns = (): boolean => job.run === run;
    try {
      let sha256 = job.sha256;
      if (!sha256) {
        const hashing = (job.hashing = new AbortController());
        this.update(job, { phase: 'hashing', bytes: 0 });
        sha256 = await sha256File(file, (bytes) => {
          if (owns()) this.update(job, { bytes });
        }, hashing.signal);
        if (!owns()) return;
        job.hashing = undefined;
        job.sha256 = sha256;
      }
      this.update(job, { phase: 'hashing', bytes: file.size });

      const existing = await api.lookup(path).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      });
      if (!owns()) return;
      if (existing?.kind === 'file' && existing.status === 'ready' && existing.sha256 === sha256) {
        this.update(job, { phase: 'skipped', bytes: file.size, fileId: existing.id, message: `Already in ${item.folder} with the same content: skipped.` });
        this.finished();
        return;
      }
      // The same file, left unfinished by this user on another device (or in another browser): go on there.
      let resumeUrl: string | undefined;
      if (existing?.kind === 'file' && existing.status === 'uploading' && existing.upload && existing.size === file.size && existing.upload.sha256 === sha256) {
        if (existing.owner === (await api.me())) resumeUrl = new URL(existing.upload.url, location.origin).href;
        if (!owns()) return;
      }
      this.update(job, { phase: 'uploading', bytes: 0 });
      await this.send(job, sha256, owns, resumeUrl);
      if (!owns()) return;
      const entry = await api.lookup(path).catch(() => null);
      if (!owns()) return;
      this.update(job, { phase: 'done', bytes: file.size, fileId: entry?.id ?? null, message: null });
      this.onLanded?.(item.folder);
      this.finished();
    } catch (error) {
      if (!owns()) return;
      this.update(job, { phase: 'failed', message: explain(error) });
      this.finished();
    }
  }

  private send(job: Job, sha256: string, owns: () => boolean, resumeUrl?: string): Promise<void> {
    const { file, item } = job;
    return new Promise<void>((resolve, reject) => {
      const metadata: Record<string, string> = { [UPLOAD_METADATA.name]: file.name, [UPLOAD_METADATA.folder]: item.folder, [UPLOAD_METADATA.sha256]: sha256 };
      if (file.type) metadata[UPLOAD_METADATA.mime] = file.type;
      const upload = new Upload(file, {
        endpoint: new URL(UPLOADS_PATH, location.origin).href,
        // An upload of this file that another device left: tus-js-client asks it for its offset and
        // goes on; if it is gone by now, a new upload is created at `endpoint`.
        uploadUrl: resumeUrl ?? null,
        metadata,
        // The same content to the same place on the same server: what makes "the same file again" resume.
        fingerprint: async () => ['nebula', location.origin, joinPath(item.folder, file.name), file.size, sha256].join('\n'),
        storeFingerprintForResuming: true,
        removeFingerprintOnSuccess: true,
        // Not creation-with-upload: the upload's URL must be stored before data flows, or closing
        // the tab during the first request would lose it.
        uploadDataDuringCreation: false,
        retryDelays: RETRY_DELAYS,
        onShouldRetry: (error) => {
          const status = error.originalResponse?.getStatus() ?? 0;
          // 409 on a PATCH is tus's offset mismatch (ask again); on creation it means the name is taken.
          if (status === 409) return error.originalRequest?.getMethod() === 'PATCH';
          return status === 0 || status === 423 || status >= 500;
        },
        onAfterResponse: (request, response) => {
          if (request.getMethod() !== 'HEAD' || response.getStatus() !== 200) return;
          const offset = Number.parseInt(response.getHeader('Upload-Offset') ?? '', 10);
          if (owns() && Number.isFinite(offset) && offset > 0) this.update(job, { resumedFrom: offset, bytes: offset });
        },
        onProgress: (bytes) => {
          if (owns()) this.update(job, { bytes });
        },
        onSuccess: () => resolve(),
        onError: reject,
      });
      job.upload = upload;
      void upload
        .findPreviousUploads()
        .then((previous) => {
          if (job.upload !== upload) return;
          const last = previous[0];
          if (last) upload.resumeFromPreviousUpload(last);
          upload.start();
        })
        .catch(reject);
    });
  }

  private update(job: Job, change: Partial<UploadItem>): void {
    job.item = { ...job.item, ...change };
    this.changed();
  }

  private changed(): void {
    this.snapshot = this.jobs.map((job) => job.item);
    this.listeners.forEach((listener) => listener());
  }
}

/** tus-js-client's errors are long and generic: the server's own sentence says more. */
function explain(error: unknown): string {
  if (error instanceof DetailedError) {
    const response = error.originalResponse;
    if (response && response.getStatus() > 0) return ApiError.fromResponse(response.getStatus(), response.getBody(), 'the upload').message;
    return UNREACHABLE;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

export const uploads = new UploadStore();

// Leaving the page stops running uploads (they resume when the same files are chosen again): ask first.
window.addEventListener('beforeunload', (event) => {
  if (uploads.getSnapshot().some((item) => item.phase === 'hashing' || item.phase === 'uploading' || item.phase === 'waiting')) event.preventDefault();
});
