import { FileStore } from '@tus/file-store';
import type { MetadataValue, S3Store } from '@tus/s3-store';
import { ERRORS, FileKvStore, isPathInsideDirectory, type DataStore, type Upload } from '@tus/utils';
import writeFileAtomic from 'write-file-atomic';
import { createReadStream, mkdirSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { redactUrl, type Config, type StorageConfig } from '@nebula/shared';
import { uploadFileWriter } from './upload-file-writers';
import { sendInParts } from './upload-parts';
import { classifyS3Failure, DEFAULT_S3_REQUEST_TIMEOUT_MS, isTransientS3Failure, S3StorageError } from '@nebula/shared/storage';
import { setTimeout as sleep } from 'node:timers/promises';

type S3Storage = Extract<StorageConfig, { driver: 's3' }>;
/** Where the s3 tus store keeps upload records and unfinished parts (see ExplainedS3Store.infoKey). */
export const UPLOAD_RECORDS = 'uploads/';
/** The size of the parts of an upload's multipart upload (the last one may be smaller). */
export const S3_PART_SIZE = 16 * 1024 * 1024;
/**
 * Parts of uploads on their way to S3 at once, across all uploads (@tus/s3-store's default is 60).
 * Each waits in the temporary folder as a file until S3 has it, and a permit is taken as a part
 * starts to fill: an S3 server slower than the clients holds them back at 16 parts (256 MiB)
 * instead of 60 (960 MiB of disk, and the gateway's memory over 200 MB in ops/bench/upload.ts).
 */
export const S3_PARTS_IN_FLIGHT = 16;
/**
 * Tries at sending one part when S3 drops the connection or answers 5xx, and the wait before the
 * n-th retry (n × this). The AWS SDK does not retry a request whose body is a stream; the part is a
 * file, so it can be sent again, instead of failing the PATCH and having the client resend from it.
 * A request that timed out is not tried again: a hung S3 fails the PATCH after one timeout, as before.
 */
export const S3_PART_ATTEMPTS = 3;
export const S3_PART_RETRY_MS = 1000;
/** @tus/s3-store's options; its S3 client config is the AWS SDK's S3ClientConfig plus the bucket. */
type S3StoreOptions = ConstructorParameters<typeof S3Store>[0];

/**
 * The tus store that matches the storage driver, writing each upload straight to its final key
 * (`originals/<id>`), so a finished upload is already in place: no copy, no second pass.
 * - fs: @tus/file-store under the objects folder; its upload records live apart, in data/uploads,
 *   so they never show up as objects.
 * - s3: @tus/s3-store, a multipart upload into the bucket (parts buffered on local disk in
 *   `partsDirectory`, never in memory).
 */
export function createTusStore(config: Config, expirationMs: number, partsDirectory = tmpdir()): DataStore {
  const storage = config.storage;
  if (storage.driver === 'fs') {
    const records = join(config.dataDir, 'uploads');
    mkdirSync(join(records, 'originals'), { recursive: true });
    mkdirSync(join(storage.root, 'originals'), { recursive: true });
    return new WideFileStore({ directory: storage.root, configstore: new AtomicFileKvStore(records), expirationPeriodInMilliseconds: expirationMs });
  }
  if (storage.driver === 'gateway') throw new Error('the gateway keeps uploads in fs or s3 storage; the gateway driver is for worker nodes');
  const ExplainedS3Store = (explainedS3Store ??= defineExplainedS3Store());
  return new ExplainedS3Store(storage, storage.requestTimeoutMs ?? DEFAULT_S3_REQUEST_TIMEOUT_MS, partsDirectory, {
    partSize: S3_PART_SIZE,
    maxConcurrentPartUploads: S3_PARTS_IN_FLIGHT,
    expirationPeriodInMilliseconds: expirationMs,
    s3ClientConfig: { bucket: storage.bucket, ...s3ClientConfig(storage) },
  });
}

/**
 * @tus/utils' FileKvStore (the fs driver's upload records, `<id>.json`), each record written whole
 * or not at all: a file beside it, then renamed over it (write-file-atomic). FileKvStore writes the
 * record in place, so a gateway killed during that write left a record that was there but empty.
 * The upload could then neither be resumed (its record unreadable) nor be taken as a creation that
 * died (its record there), and every retry of its creation was answered 409 until the upload
 * expired (ops/test/chaos.test.ts).
 */
export class AtomicFileKvStore<T> extends FileKvStore<T> {
  override async set(key: string, value: T): Promise<void> {
    const path = resolve(this.directory, `${key}.json`);
    if (!isPathInsideDirectory(this.directory, path)) throw ERRORS.FILE_NOT_FOUND; // as FileKvStore
    await writeFileAtomic(path, JSON.stringify(value));
  }

  /**
   * Removes, from `folder` under the records, the copies a killed gateway left half-written beside
   * their records (write-file-atomic names them `<record>.json.<number>` and removes them itself on
   * any end but SIGKILL), last changed before `before`: a record's write takes milliseconds, so an
   * old one was abandoned. Returns how many went.
   */
  async removeAbandonedWrites(folder: string, before: Date): Promise<number> {
    const dir = resolve(this.directory, folder);
    if (dir !== resolve(this.directory) && !isPathInsideDirectory(this.directory, dir)) return 0;
    let removed = 0;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!ABANDONED_WRITE.test(name)) continue;
      const info = await stat(join(dir, name)).catch(() => null);
      if (info?.isFile() && info.mtime < before && (await rm(join(dir, name), { force: true }).then(() => true, () => false))) removed++;
    }
    return removed;
  }
}

/** write-file-atomic's name for a record being written: the record's name and a uint32. */
const ABANDONED_WRITE = /\.json\.\d+$/;

/**
 * @tus/file-store, writing what the request brings in large writes (uploadFileWriter: around the
 * page cache while it can, see upload-file-writers.ts). Its own write stream has Node's 16 KiB
 * buffer, so it wrote one 64 KiB chunk per system call, one at a time.
 */
export class WideFileStore extends FileStore {
  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    const path = join(this.directory, id);
    if (!isPathInsideDirectory(this.directory, path)) throw ERRORS.FILE_NOT_FOUND;
    const file = uploadFileWriter(path, offset);
    try {
      await pipeline(readable, file);
    } catch {
      // As @tus/file-store: what the disk said goes to UploadsService, which tells a full disk apart.
      throw ERRORS.FILE_WRITE_ERROR;
    } finally {
      // pipeline settles before the writer's last bytes are on disk when the request broke off: the
      // upload's lock is released on return, and the next request must find them there.
      if (!file.closed) await new Promise((closed) => file.once('close', closed));
    }
    return offset + file.bytesWritten;
  }
}

/**
 * The configuration of every AWS SDK S3 client Nebula makes (today the one inside @tus/s3-store),
 * the same in production and tests.
 */
export function s3ClientConfig(storage: S3Storage): Omit<S3StoreOptions['s3ClientConfig'], 'bucket'> {
  return {
    region: storage.region,
    endpoint: storage.endpoint,
    // MinIO, RGW and most self-hosted S3 services have no per-bucket DNS names.
    forcePathStyle: true,
    credentials: { accessKeyId: storage.accessKey, secretAccessKey: storage.secretKey },
    // @aws-sdk/client-s3 ≥ 3.729 otherwise sends every streamed body (UploadPart, PutObject) as
    // aws-chunked with a trailing CRC checksum and no Content-Length. Ceph RGW, older MinIO releases
    // and several other S3-compatible servers answer that with 411 MissingContentLength, so every
    // upload failed. Checksums only where the operation requires them works on all of them (and AWS).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // A server that stops answering fails the request (and the upload's PATCH) instead of hanging it.
    // socketTimeout is the limit without a byte moving; the SDK's requestTimeout would cap a whole
    // part's transfer, and by default only logs a warning.
    requestHandler: { connectionTimeout: 10_000, socketTimeout: storage.requestTimeoutMs ?? DEFAULT_S3_REQUEST_TIMEOUT_MS },
  };
}

/**
 * @tus/s3-store with its S3 failures turned into answers a client can act on: a refusal (bad
 * credentials, full, no bucket) is a 502/507 with the S3 error code, at once; a store that is down
 * or silent is a 503, worth a retry. The response names no endpoint; the log (the error's message,
 * see UploadsService's onResponseError) does. tus's own refusals (404, 409, ...) pass unchanged.
 *
 * Defined on first use, with @tus/s3-store loaded then: a gateway on the fs driver never needs it,
 * nor the AWS SDK it brings (with minio and undici, see @nebula/shared's client-packages.ts, about
 * 15 MB of its RSS at rest).
 */
function defineExplainedS3Store() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  const { S3Store } = require('@tus/s3-store') as typeof import('@tus/s3-store');
  return class ExplainedS3Store extends S3Store {
    private readonly where: string;
    private readonly bucketName: string;

    constructor(
      storage: S3Storage,
      private readonly timeoutMs: number,
      private readonly partsDirectory: string,
      options: S3StoreOptions,
    ) {
      super(options);
      this.where = redactUrl(storage.endpoint).replace(/\/$/, '');
      this.bucketName = storage.bucket;
    }

    /**
     * Upload records and unfinished parts live under uploads/, apart from the objects, as the fs
     * driver keeps its records in data/uploads: originals/ holds only the files themselves, and
     * nothing that lists or backs up originals/ meets `<id>.info` or `<id>.part` (the store's default
     * names, beside the object).
     */
    protected override infoKey(id: string): string {
      return `${UPLOAD_RECORDS}${id}.info`;
    }

    protected override partKey(id: string, isIncomplete = false): string {
      return isIncomplete ? `${UPLOAD_RECORDS}${id}.part` : id;
    }

    /**
     * The PATCH's bytes cut into part files and sent as each is complete (see sendInParts for why not
     * the library's). Every part but the upload's last is exactly `partSize`: a short part at the end
     * of a PATCH waits as an object of its own (the incomplete part), and the next PATCH starts with
     * it (as @tus/s3-store's write does for parts under S3's 5 MiB minimum). So part n always holds
     * the bytes from (n - 1) × partSize on, whichever PATCH sent it; see retrieveParts for why.
     */
    protected override uploadParts(metadata: MetadataValue, source: Readable, firstPart: number, offset: number): Promise<number> {
      const size = metadata.file.size;
      const partSize = this.calcOptimalPartSize(size);
      return sendInParts(source, offset, {
        partSize,
        directory: this.partsDirectory,
        room: () => this.partUploadSemaphore.acquire(),
        send: async ({ path, bytes, index, end }) => {
          const number = firstPart + index;
          const whole = bytes === partSize || end === size;
          // A part left by an earlier PATCH (sent while a part before it failed) may hold these bytes
          // already: the upload's offset is then past them, and the client is told so (409) next time.
          if (!whole && (await this.retrieveParts(metadata.file.id)).some((part) => part.PartNumber === number)) return false;
          const upload = (body: Readable) => (whole ? this.uploadPart(metadata, body, number) : this.uploadIncompletePart(metadata.file.id, body));
          for (let attempt = 1; ; attempt++) {
            try {
              await this.sendPartFile(path, upload);
              return true;
            } catch (error) {
              const kind = classifyS3Failure(...s3CodeAndStatus(error));
              if (attempt >= S3_PART_ATTEMPTS || (kind !== 'unreachable' && kind !== 'unavailable')) throw error;
              await sleep(S3_PART_RETRY_MS * attempt);
            }
          }
        },
      });
    }

    private async sendPartFile(path: string, upload: (body: Readable) => Promise<unknown>): Promise<void> {
      const body = createReadStream(path);
      const unreadable = new Promise<never>((_, reject) => body.once('error', reject));
      unreadable.catch(() => undefined);
      try {
        await Promise.race([upload(body), unreadable]);
      } finally {
        // A request S3 failed or timed out may not have read its body to the end: close the file.
        body.destroy();
      }
    }

    /**
     * The parts from the first on, up to the first one missing. Parts are sent several at once, so
     * one can fail while a later one gets through: @tus/s3-store counted every part it found, the
     * upload's offset then skipped the missing bytes, and the client resumed after them (a file with a
     * piece missing). Counting up to the gap, the client resends from there, and the parts after it are
     * sent again over themselves with the same bytes (every part but the last has the same size).
     */
    protected override async retrieveParts(id: string, partNumberMarker?: string): Promise<Awaited<ReturnType<S3Store['retrieveParts']>>> {
      const parts = await super.retrieveParts(id, partNumberMarker);
      if (partNumberMarker) return parts; // a later page, for the call that asked for the first
      const gap = parts.findIndex((part, i) => part.PartNumber !== i + 1);
      return gap === -1 ? parts : parts.slice(0, gap);
    }

    override create(upload: Upload): Promise<Upload> {
      return this.explained('start the upload', () => super.create(upload));
    }

    override write(src: Readable, id: string, offset: number): Promise<number> {
      return this.explained('store the upload', () => super.write(src, id, offset));
    }

    override getUpload(id: string): Promise<Upload> {
      return this.explained('look up the upload', () => super.getUpload(id));
    }

    override remove(id: string): Promise<void> {
      return this.explained('remove the upload', async () => {
        await super.remove(id);
        // @tus/s3-store keeps the bytes of an unfinished part too small for S3's 5 MiB minimum as an
        // object of their own, and its remove() leaves that behind.
        await this.deleteIncompletePart(id);
      });
    }

    override declareUploadLength(id: string, length: number): Promise<void> {
      return this.explained('set the upload length', () => super.declareUploadLength(id, length));
    }

    override deleteExpired(): Promise<number> {
      return this.explained('remove expired uploads', () => super.deleteExpired());
    }

    private async explained<T>(action: string, work: () => Promise<T>): Promise<T> {
      try {
        return await work();
      } catch (error) {
        throw storageRefusal(error, { where: this.where, bucket: this.bucketName, action, timeoutMs: this.timeoutMs });
      }
    }
  };
}

let explainedS3Store: ReturnType<typeof defineExplainedS3Store> | undefined;

/** An Error (for the log) that @tus/server answers with `status_code` and `body` (for the client). */
export function storageRefusal(error: unknown, { where, bucket, action, timeoutMs }: { where: string; bucket: string; action: string; timeoutMs?: number }): unknown {
  // Only what the S3 client threw (the AWS SDK marks those with $metadata, network errors and
  // timeouts included); tus's own refusals and a client that went away mid-PATCH pass unchanged.
  if (typeof error !== 'object' || error === null || 'status_code' in error || !('$metadata' in error)) return error;
  const [code, status] = s3CodeAndStatus(error);
  const e = error as { message?: string };
  const logged = new S3StorageError(where, bucket, action, code, e.message, status, { cause: error, timeoutMs });
  const shown = new S3StorageError(undefined, bucket, action, code, undefined, status, { timeoutMs });
  const transient = isTransientS3Failure(logged.kind);
  const httpStatus = transient ? 503 : logged.kind === 'full' ? 507 : 502;
  const apiCode = transient ? 'storage_unavailable' : 'storage_refused';
  return Object.assign(new Error(logged.message, { cause: error }), {
    status_code: httpStatus,
    body: JSON.stringify({ statusCode: httpStatus, code: apiCode, message: shown.message, s3Code: code ?? null }),
  });
}

/** The S3 error code (or the network's) and the HTTP status of a failure the AWS SDK threw. */
function s3CodeAndStatus(error: unknown): [string | undefined, number | undefined] {
  const e = error as { name?: string; code?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  // The AWS SDK puts the S3 code in `name` (and `Code`); network failures carry Node's `code`.
  return [e.code ?? e.Code ?? (e.name && e.name !== 'Error' ? e.name : undefined), e.$metadata?.httpStatusCode];
}
