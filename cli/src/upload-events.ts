/** What `nebula upload` reports, one object per line in JSON mode (see README). */
export type UploadEvent =
  | { event: 'plan'; files: number; bytes: number; to: string }
  | { event: 'hashing'; file: string; bytes: number; total: number }
  | { event: 'progress'; file: string; bytes: number; total: number }
  | { event: 'resumed'; file: string; offset: number; total: number }
  /** --replace gave up an unfinished upload of that name (this user's, from any device) before uploading anew. */
  | { event: 'replaced'; file: string; path: string; received: number | null; startedAt: string }
  | { event: 'done'; file: string; id: string; path: string; sha256: string; bytes: number; sent: number }
  | { event: 'skipped'; file: string; id: string; path: string; sha256: string; bytes: number; reason: string }
  | { event: 'error'; file: string; path: string; code: string; message: string }
  /** stopped: files Ctrl-C stopped part way (the next run resumes them); sent counts their bytes too. */
  | { event: 'summary'; uploaded: number; skipped: number; failed: number; stopped: number; notStarted: number; bytes: number; sent: number; seconds: number };

export interface UploadReporter {
  emit(event: UploadEvent): void;
  finish(): Promise<void>;
}
