import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Client } from 'minio';
import { redactUrl } from '../config';
import {
  assertValidKey,
  assertValidPrefix,
  ObjectNotFoundError,
  type ByteRange,
  type ObjectStat,
  type ObjectStorage,
} from './object-storage';

export interface S3ObjectStorageOptions {
  /** e.g. `http://minio:9000`; the scheme decides TLS, no path. */
  endpoint: string;
  region: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  /**
   * Bytes buffered per multipart part. A put holds at most one part in memory, whatever the
   * object's size. S3 refuses parts under 5 MiB (except the last) and allows 10,000 parts, so
   * 16 MiB caps an object at about 156 GiB.
   */
  partSize?: number;
  /** Keys per DeleteObjects request in deletePrefix; S3 accepts at most 1000. */
  deleteBatchSize?: number;
  /** How long check() waits for an answer before calling the store unreachable. */
  checkTimeoutMs?: number;
}

const MiB = 1024 * 1024;
const MIN_PART_SIZE = 5 * MiB;
const MAX_PART_SIZE = 5 * 1024 * MiB;
const MAX_PARTS = 10_000;
const MAX_DELETE_BATCH = 1000;

/** Network failures that mean "nobody answered at that address", as opposed to an S3 error. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
const BAD_CREDENTIALS = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch']);
const MISSING = new Set(['NoSuchKey', 'NotFound']);

/**
 * Objects in one S3 bucket (MinIO in compose, or any S3 service), through the `minio` client.
 *
 * Puts do not use minio's `putObject` for streams: with an unknown size it always goes multipart and
 * first calls ListMultipartUploads to resume any unfinished upload of the same key, which would let
 * two concurrent puts of one key write into the same upload, and it never aborts a failed upload.
 * Instead a body shorter than one part goes up in a single PUT, and a longer one as a multipart
 * upload of our own (Create, UploadPart, Complete; Abort on failure), one part in memory at a time.
 */
export class S3ObjectStorage implements ObjectStorage {
  readonly driver = 's3' as const;
  private readonly client: Client;
  private readonly bucket: string;
  private readonly region: string;
  /** The endpoint as errors show it: never with credentials. */
  private readonly where: string;
  private readonly partSize: number;
  private readonly deleteBatchSize: number;
  private readonly checkTimeoutMs: number;

  constructor(options: S3ObjectStorageOptions) {
    this.where = redactUrl(options.endpoint).replace(/\/$/, '');
    let url: URL;
    try {
      url = new URL(options.endpoint);
    } catch {
      throw new Error(`S3_ENDPOINT "${this.where}" is not a URL: expected one like http://minio:9000`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`S3_ENDPOINT "${this.where}" must start with http:// or https://`);
    }
    if (url.pathname !== '/' || url.search) {
      throw new Error(`S3_ENDPOINT "${this.where}" has a path: give only scheme, host and port (like http://minio:9000)`);
    }
    this.partSize = options.partSize ?? 16 * MiB;
    if (!Number.isInteger(this.partSize) || this.partSize < MIN_PART_SIZE || this.partSize > MAX_PART_SIZE) {
      throw new Error(`S3 part size ${this.partSize} is out of range: S3 accepts parts of 5 MiB to 5 GiB`);
    }
    this.deleteBatchSize = options.deleteBatchSize ?? MAX_DELETE_BATCH;
    if (!Number.isInteger(this.deleteBatchSize) || this.deleteBatchSize < 1 || this.deleteBatchSize > MAX_DELETE_BATCH) {
      throw new Error(`S3 delete batch size ${this.deleteBatchSize} is out of range: DeleteObjects takes 1 to 1000 keys`);
    }
    this.checkTimeoutMs = options.checkTimeoutMs ?? 10_000;
    this.bucket = options.bucket;
    this.region = options.region;
    this.client = new Client({
      endPoint: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port ? Number(url.port) : undefined,
      useSSL: url.protocol === 'https:',
      accessKey: options.accessKey,
      secretKey: options.secretKey,
      // Giving the region up front spares a GetBucketLocation round trip before the first call.
      region: options.region,
      // MinIO and most self-hosted S3 services have no per-bucket DNS names.
      pathStyle: true,
    });
  }

  async put(key: string, body: Readable, options?: { contentType?: string }): Promise<ObjectStat> {
    assertValidKey(key);
    const headers: Record<string, string> = options?.contentType ? { 'Content-Type': options.contentType } : {};
    const parts = partsOf(body, this.partSize)[Symbol.asyncIterator]();
    try {
      const first = await parts.next();
      if (first.done || first.value.length < this.partSize) {
        // The whole body fits in one part: a single PUT, nothing to clean up if it fails.
        const whole = first.done ? Buffer.alloc(0) : first.value;
        await this.call(`store "${key}"`, () => this.client.putObject(this.bucket, key, whole, whole.length, headers));
      } else {
        // A full first part may be all there is; we do not read ahead to find out, as that would hold
        // a second part in memory. A one-part multipart upload is valid S3.
        await this.putMultipart(key, headers, first.value, parts);
      }
    } finally {
      // When the store fails part way, this stops reading and destroys the body rather than leave
      // the sender hanging.
      await parts.return?.();
    }
    const stat = await this.stat(key);
    if (!stat) {
      throw new Error(`object storage at ${this.where} accepted "${key}" but does not show it afterwards: is another process deleting it?`);
    }
    return stat;
  }

  private async putMultipart(
    key: string,
    headers: Record<string, string>,
    first: Buffer,
    rest: AsyncIterator<Buffer>,
  ): Promise<void> {
    const uploadId = await this.call(`start a multipart upload of "${key}"`, () =>
      this.client.initiateNewMultipartUpload(this.bucket, key, headers),
    );
    try {
      const etags: { part: number; etag: string }[] = [];
      const upload = async (part: Buffer) => {
        const partNumber = etags.length + 1;
        if (partNumber > MAX_PARTS) {
          throw new Error(
            `"${key}" is larger than ${MAX_PARTS} parts of ${this.partSize / MiB} MiB, the most one S3 upload can hold: raise the part size`,
          );
        }
        const { etag } = await this.call(`upload part ${partNumber} of "${key}"`, () =>
          this.client.uploadPart(
            { bucketName: this.bucket, objectName: key, uploadID: encodeURIComponent(uploadId), partNumber, headers: {} },
            part,
          ),
        );
        etags.push({ part: partNumber, etag });
      };
      await upload(first);
      for (let next = await rest.next(); !next.done; next = await rest.next()) await upload(next.value);
      await this.call(`finish the multipart upload of "${key}"`, () =>
        this.client.completeMultipartUpload(this.bucket, key, uploadId, etags),
      );
    } catch (error) {
      // Best effort: the upload's parts would otherwise sit in the bucket until a lifecycle rule
      // removes them. The original failure is the one worth reporting.
      await this.client.abortMultipartUpload(this.bucket, key, encodeURIComponent(uploadId)).catch(() => undefined);
      throw error;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertValidKey(key);
    return this.call(
      `read "${key}"`,
      () =>
        range
          ? this.client.getPartialObject(this.bucket, key, range.start, range.end - range.start + 1)
          : this.client.getObject(this.bucket, key),
      key,
    );
  }

  async stat(key: string): Promise<ObjectStat | null> {
    assertValidKey(key);
    try {
      const s = await this.call(`look up "${key}"`, () => this.client.statObject(this.bucket, key), key);
      return { key, size: s.size, modified: s.lastModified };
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    // S3 answers 204 whether or not the key existed.
    await this.call(`delete "${key}"`, () => this.client.removeObject(this.bucket, key));
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix);
    let count = 0;
    let batch: string[] = [];
    const flush = async () => {
      const keys = batch;
      batch = [];
      const failures = await this.call(`delete ${keys.length} objects under "${prefix}"`, () =>
        this.client.removeObjects(this.bucket, keys),
      );
      const failed = failures.flatMap((f) => (f?.Error ? [f.Error] : []));
      if (failed.length > 0) {
        const first = failed[0]!;
        throw new Error(
          `object storage at ${this.where} refused to delete ${failed.length} of ${keys.length} objects under "${prefix}" ` +
            `(first: "${first.Key}", ${first.Code}: ${first.Message})`,
        );
      }
      count += keys.length;
    };
    // Listing pauses while a batch is deleted; the listing continues after the last key it returned.
    for await (const object of this.list(prefix)) {
      batch.push(object.key);
      if (batch.length >= this.deleteBatchSize) await flush();
    }
    if (batch.length > 0) await flush();
    return count;
  }

  async *list(prefix: string): AsyncIterable<ObjectStat> {
    assertValidPrefix(prefix);
    try {
      for await (const item of this.client.listObjectsV2(this.bucket, prefix, true)) {
        const object = item as { name?: string; size: number; lastModified?: Date };
        if (object.name !== undefined) yield { key: object.name, size: object.size, modified: object.lastModified ?? new Date(0) };
      }
    } catch (error) {
      throw this.explain(error, `list "${prefix}"`);
    }
  }

  async check(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `object storage at ${this.where} did not answer within ${this.checkTimeoutMs / 1000} s: is the S3 service (minio in compose) up, and is S3_ENDPOINT right?`,
            ),
          ),
        this.checkTimeoutMs,
      );
    });
    try {
      await Promise.race([this.probe(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async probe(): Promise<void> {
    const exists = await this.call(`look up bucket "${this.bucket}"`, () => this.client.bucketExists(this.bucket));
    if (!exists) {
      try {
        await this.client.makeBucket(this.bucket, this.region);
      } catch (error) {
        // The gateway and a worker may start together and race to create it.
        if (codeOf(error) !== 'BucketAlreadyOwnedByYou') throw this.explain(error, `create bucket "${this.bucket}"`);
      }
    }
    // Reachable is not enough: prove these credentials may write and delete.
    const probe = `.health/${randomUUID()}`;
    await this.call(`write a probe object to bucket "${this.bucket}"`, () => this.client.putObject(this.bucket, probe, Buffer.from('ok'), 2));
    await this.call(`delete the probe object from bucket "${this.bucket}"`, () => this.client.removeObject(this.bucket, probe));
  }

  /** Runs one S3 call and turns its failure into an error that says what happened and what to do. */
  private async call<T>(action: string, run: () => Promise<T>, key?: string): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (key !== undefined && MISSING.has(codeOf(error) ?? '')) throw new ObjectNotFoundError(key);
      throw this.explain(error, action);
    }
  }

  private explain(error: unknown, action: string): Error {
    const code = codeOf(error);
    const detail = error instanceof Error && error.message && error.message !== code ? `${code ? `${code}: ` : ''}${error.message}` : (code ?? String(error));
    let message: string;
    if (code && UNREACHABLE.has(code)) {
      message = `object storage at ${this.where} is unreachable (${code}) when trying to ${action}: is the S3 service (minio in compose) up, and is S3_ENDPOINT right?`;
    } else if (code && BAD_CREDENTIALS.has(code)) {
      message = `object storage at ${this.where} refused the credentials (${code}) when trying to ${action}: check S3_ACCESS_KEY and S3_SECRET_KEY`;
    } else if (code === 'BucketAlreadyExists') {
      message = `bucket "${this.bucket}" at ${this.where} belongs to another account: choose another S3_BUCKET`;
    } else if (code === 'NoSuchBucket') {
      message = `bucket "${this.bucket}" does not exist at ${this.where} (when trying to ${action}): it is created when the gateway starts; check S3_BUCKET`;
    } else {
      message = `object storage at ${this.where} failed to ${action} (${detail})`;
    }
    return new Error(message, { cause: error });
  }
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Cuts a stream into parts of exactly `size` bytes (the last may be shorter; an empty body yields
 * nothing). The stream is pulled only as fast as parts are consumed, so memory stays at one part.
 */
async function* partsOf(body: Readable, size: number): AsyncIterable<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const data of body) {
    let chunk: Buffer = typeof data === 'string' ? Buffer.from(data) : (data as Buffer);
    while (pendingBytes + chunk.length >= size) {
      const take = size - pendingBytes;
      pending.push(chunk.subarray(0, take));
      chunk = chunk.subarray(take);
      yield Buffer.concat(pending, size);
      pending = [];
      pendingBytes = 0;
    }
    if (chunk.length > 0) {
      pending.push(chunk);
      pendingBytes += chunk.length;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}
