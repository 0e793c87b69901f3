import { DetailedError, Upload } from 'tus-js-client';
import { UPLOAD_METADATA, UPLOAD_SHA256_HEADER } from '@nebula/contract';
import { isRestarting } from './api-client';
import { ApiError, CliError, networkFailure, parseErrorBody, UnreachableError } from './errors';
import { FileChangedError, FilePiece, FileSendingHttpStack } from './file-sending-http';
import { HashWhileSending } from './hash';
import type { ResumeStore } from './resume-store';

export interface FileToUpload {
  absolute: string;
  size: number;
  mtimeMs: number;
  /** Remote folder and name. */
  folder: string;
  name: string;
  /**
   * Known before sending (the file was hashed to compare it with one on the server): declared at
   * creation. Unknown: hashed while sending, and declared with the last byte.
   */
  sha256?: string;
  /** The sample hash (hash.ts sampleHashFile): declared at creation, so this upload can be found again to resume it. */
  sample: string;
  mime: string;
}

export interface UploadCallbacks {
  /** Absolute bytes: the offset the server has plus what this run has sent. */
  onProgress?: (bytes: number, total: number) => void;
  /** The server already had `offset` bytes of this file from an earlier run (or before a network cut). */
  onResumed?: (offset: number) => void;
}

export interface RunningUpload {
  /** Resolves with the bytes this run actually sent, and the sha256 this machine computed of the file (undefined if it never read the file, as when the server had it all already). */
  done: Promise<{ sent: number; sha256?: string }>;
  /** Stops sending but keeps the upload on the server, so the next run resumes it. */
  abort: () => Promise<void>;
}

/** A creation (POST) that fails with a 5xx is tried this many more times, not for minutes. */
const CREATION_RETRIES = 2;

/**
 * Waits between tries after a network cut or a 5xx: about two minutes in all, enough for a gateway
 * restart or a Wi-Fi switch. tus-js-client starts the count again whenever bytes got through.
 */
export const RETRY_DELAYS = [0, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 30_000, 30_000];

export class UploadAbortedError extends CliError {
  constructor(
    file: string,
    /** Bytes this run sent before it stopped: the server keeps them, and the next run goes on after them. */
    readonly sent: number,
  ) {
    super(`upload of ${file} stopped; run the same command again to resume it`, 130, 'interrupted');
  }
}

/**
 * The key under which an unfinished upload is remembered: the same file (path, size, mtime) going
 * to the same place on the same server. Change any of them and the upload starts over.
 */
export function uploadFingerprint(server: string, file: Pick<FileToUpload, 'absolute' | 'size' | 'mtimeMs' | 'folder' | 'name'>): string {
  const target = file.folder === '/' ? `/${file.name}` : `${file.folder}/${file.name}`;
  return ['nebula', server, file.absolute, file.size, Math.trunc(file.mtimeMs), target].join('\n');
}

type TusFileReader = NonNullable<ConstructorParameters<typeof Upload>[1]['fileReader']>;

/**
 * Reads the file for tus-js-client: each PATCH body is [start, end) of the file on disk, a FilePiece
 * that FileSendingHttpStack sends from a few reused 1 MiB buffers. A piece opens the file when it is
 * first read and the stack closes it when the request ends, however it ends: nothing is left for
 * close() to do.
 */
function fileReader(path: string, size: number, hashing?: HashWhileSending): TusFileReader {
  return {
    openFile: async () => ({
      size,
      slice: async (start: number, end: number) => {
        const stop = Math.min(end, size);
        if (stop <= start) return { value: Buffer.alloc(0), done: true };
        const piece = hashing ? await hashing.piece(start, stop) : new FilePiece(path, start, stop);
        return { value: piece, done: start + piece.size >= size };
      },
      close: () => undefined,
    }),
  };
}

/**
 * One file, over tus, resumable. `resumeUrl` is an unfinished upload of this same file that another
 * device (or a forgotten run) started: it goes on there; if that upload is gone, a new one starts.
 */
export function startUpload(
  server: string,
  endpoint: string,
  store: ResumeStore,
  file: FileToUpload,
  callbacks: UploadCallbacks = {},
  retryDelays = RETRY_DELAYS,
  resumeUrl?: string,
): RunningUpload {
  let sent = 0;
  let position = 0;
  let aborted = false;
  let rejectDone: (error: unknown) => void = () => undefined;
  let abortUpload = async (): Promise<void> => undefined;
  const fingerprint = uploadFingerprint(server, file);
  /** A 5xx that was retried: when the retry then fails differently, this is the real reason. */
  let serverFailure: DetailedError | undefined;

  const hashing = file.sha256 === undefined ? new HashWhileSending(file.absolute, file.size) : undefined;

  const done = new Promise<{ sent: number; sha256?: string }>((resolve, reject) => {
    rejectDone = reject;
    const metadata: Record<string, string> = { [UPLOAD_METADATA.name]: file.name, [UPLOAD_METADATA.folder]: file.folder, [UPLOAD_METADATA.sample]: file.sample, [UPLOAD_METADATA.mime]: file.mime };
    if (file.sha256) metadata[UPLOAD_METADATA.sha256] = file.sha256;
    // The file itself is read by fileReader(); tus-js-client only passes this along.
    const upload = new Upload({ path: file.absolute } as unknown as Buffer, {
      endpoint,
      uploadUrl: resumeUrl ?? null,
      fileReader: fileReader(file.absolute, file.size, hashing),
      httpStack: new FileSendingHttpStack(),
      uploadSize: file.size,
      metadata,
      // The PATCH with the last bytes: everything before it has been hashed (HashWhileSending
      // read it for this very request), so it can say what the whole file's sha256 is.
      onBeforeRequest: (request) => {
        if (request.getMethod() === 'PATCH' && hashing?.sha256) request.setHeader(UPLOAD_SHA256_HEADER, hashing.sha256);
      },
      fingerprint: async () => fingerprint,
      urlStorage: store,
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      // The whole rest of the file in one PATCH (no chunkSize): the fastest over a fast link, and
      // the server keeps every byte it received when the connection drops, so a resume loses
      // nothing. Not creation-with-upload: the upload's URL must be stored before data flows,
      // or a kill during the first request would lose it.
      uploadDataDuringCreation: false,
      retryDelays,
      onShouldRetry: (error, retryAttempt) => {
        // The file shrank or went away while it was being sent: trying again meets the same file.
        const cause = error.causingError as NodeJS.ErrnoException | null;
        if (cause instanceof FileChangedError || cause?.code === 'ENOENT') return false;
        const status = error.originalResponse?.getStatus() ?? 0;
        if (status >= 500) serverFailure = error;
        // The gateway's object storage said no (full, credentials refused, no bucket): trying again
        // gets the same answer, so the user hears it at once.
        const code = parseErrorBody(error.originalResponse?.getBody() ?? '')?.code;
        if (code === 'storage_refused') return false;
        // A server that answers but cannot create the upload (its storage refuses) gets two more
        // tries, not the minutes of patience kept for a gateway that is down or restarting; a part
        // of it restarting (Postgres, the object storage: 503 *_unavailable) gets that patience.
        if (status >= 500 && error.originalRequest?.getMethod() === 'POST' && !isRestarting(code)) return retryAttempt < CREATION_RETRIES;
        if (status === 0 || status >= 500 || status === 423) return true;
        // 409 on a PATCH is tus's "offset mismatch": tus-js-client asks for the offset again. On
        // creation it is our "a file of that name is already there", which waiting will not change.
        return status === 409 && error.originalRequest?.getMethod() === 'PATCH';
      },
      onAfterResponse: (request, response) => {
        if (request.getMethod() !== 'HEAD' || response.getStatus() !== 200) return;
        const offset = Number.parseInt(response.getHeader('Upload-Offset') ?? '', 10);
        if (!Number.isFinite(offset)) return;
        position = offset;
        if (offset > 0) callbacks.onResumed?.(offset);
      },
      onProgress: (bytes, total) => {
        if (bytes > position) sent += bytes - position;
        position = bytes;
        callbacks.onProgress?.(bytes, total);
      },
      onSuccess: () => resolve({ sent, sha256: file.sha256 ?? hashing?.sha256 }),
      onError: (error) => {
        // A creation that failed with a 5xx may have reserved the name before failing: its retry
        // then hears "already exists", which hides what went wrong.
        const hidden = error instanceof DetailedError && error.originalRequest?.getMethod() === 'POST' && error.originalResponse?.getStatus() === 409 && serverFailure;
        reject(explainUploadError(server, hidden ? serverFailure! : error));
      },
    });
    void upload
      .findPreviousUploads()
      .then((previous) => {
        if (aborted) return;
        // The server's own word on where this file's upload is beats what this machine remembers.
        const last = resumeUrl ? undefined : previous[0];
        if (last) upload.resumeFromPreviousUpload(last);
        upload.start();
      })
      .catch(reject);
    abortUpload = async () => {
      aborted = true;
      await upload.abort(false);
    };
  });
  return {
    done,
    abort: async () => {
      await abortUpload();
      rejectDone(new UploadAbortedError(file.name, sent));
    },
  };
}

/** tus-js-client's errors are long and generic: turn them into the server's own reason. */
export function explainUploadError(server: string, error: Error): Error {
  if (error instanceof DetailedError) {
    const response = error.originalResponse;
    if (response) return ApiError.fromResponse(response.getStatus(), response.getBody(), 'the upload');
    const reason = networkFailure(error.causingError);
    if (reason) return new UnreachableError(server, reason);
    if (error.causingError) return new CliError(`the upload failed: ${error.causingError.message}`);
  }
  return error;
}
