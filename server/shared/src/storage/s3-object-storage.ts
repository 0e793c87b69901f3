import { randomUUID } from 'node:crypto';
import http, { type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import type { Client } from 'minio';
import type { Pool } from 'undici';
import { loadMinio, loadUndici } from './client-packages';
import { redactUrl } from '../config';
import { S3StorageError } from './s3-errors';
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
  /**
   * How long one request may go without a byte moving (nothing sent, no answer yet) before it is
   * given up: a server that stops answering mid-upload fails the upload instead of hanging it.
   */
  requestTimeoutMs?: number;
}

/** Default for requestTimeoutMs (S3_REQUEST_TIMEOUT_SECONDS). */
export const DEFAULT_S3_REQUEST_TIMEOUT_MS = 60_000;

const MiB = 1024 * 1024;
const MIN_PART_SIZE = 5 * MiB;
const MAX_PART_SIZE = 5 * 1024 * MiB;
const MAX_PARTS = 10_000;
const MAX_DELETE_BATCH = 1000;

const MISSING = new Set(['NoSuchKey', 'NotFound']);
/** A read's signature is used at once; it need not outlive the request by much. */
const PRESIGN_SECONDS = 15 * 60;
/** More than any S3 error document: the rest of a stray large body is not read. */
const ERROR_BODY_LIMIT = 64 * 1024;

/**
 * Objects in one S3 bucket (MinIO in compose, or any S3 service), through the `minio` client, except reads (see get()).
 *
 * Puts do not use minio's `putObject` for streams: with an unknown size it always goes multipart and
 * first calls ListMultipartUploads to resume any unfinished upload of the same key, which would let
 * two concurrent puts of one key write into the same upload, and it never aborts a failed upload.
 * Instead a body shorter than one part goes up in a single PUT, and a longer one as a multipart
 * upload of our own (Create, UploadPart, Complete; Abort on failure), one part in memory at a time.
 */
export class S3ObjectStorage implements ObjectStorage {
  readonly driver = 's3' as const;
  /** The endpoint as errors and /api/health show it: never with credentials. */
  readonly endpoint: string;
  private readonly client: Client;
  /** Reads go through undici rather than minio: see get(). */
  private readonly reads: Pool;
  private readonly bucket: string;
  private readonly region: string;
  private readonly partSize: number;
  private readonly deleteBatchSize: number;
  private readonly checkTimeoutMs: number;
  private readonly requestTimeoutMs: number;

  constructor(options: S3ObjectStorageOptions) {
    this.endpoint = redactUrl(options.endpoint).replace(/\/$/, '');
    let url: URL;
    try {
      url = new URL(options.endpoint);
    } catch {
      throw new Error(`S3_ENDPOINT "${this.endpoint}" is not a URL: expected one like http://minio:9000`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`S3_ENDPOINT "${this.endpoint}" must start with http:// or https://`);
    }
    if (url.pathname !== '/' || url.search) {
      throw new Error(`S3_ENDPOINT "${this.endpoint}" has a path: give only scheme, host and port (like http://minio:9000)`);
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
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_S3_REQUEST_TIMEOUT_MS;
    this.bucket = options.bucket;
    this.region = options.region;
    const { Client } = loadMinio();
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
      transport: timedTransport(url.protocol === 'https:' ? https : http, this.requestTimeoutMs),
    });
    // Every ranged read a player makes is one GET: kept-alive connections spare each a TCP (and TLS)
    // handshake. A pool of its own, so a burst of readers cannot starve the other S3 calls. No cap on
    // its connections: a read holds one until its player has taken every byte (bodyTimeout 0, so a
    // player on a weak link is never cut off), and with a cap, that many paused players would leave
    // every other read waiting in the queue, where no timeout reaches. headersTimeout is the same
    // inactivity limit as timedTransport's.
    const { Pool } = loadUndici();
    this.reads = new Pool(url.origin, { connections: null, headersTimeout: this.requestTimeoutMs, bodyTimeout: 0, connect: { timeout: this.requestTimeoutMs } });
    // minio sends every body with its Content-Length and no aws-chunked trailers, so unlike the AWS
    // SDK (server/src/uploads/tus-store.factory.ts) it needs no checksum setting for RGW or older MinIO.
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
      throw new Error(`object storage at ${this.endpoint} accepted "${key}" but does not show it afterwards: is another process deleting it?`);
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

  /**
   * One GET, presigned by minio (computed locally, no round trip) and sent through undici's keep-alive
   * pool: per read, minio's own request path cost about half the gateway's throughput of proxied
   * ranged reads (ops/bench/range.ts, BENCH_DRIVER=s3). The body is handed on as it arrives, with
   * backpressure; only an error answer (a few hundred bytes of XML) is read whole.
   */
  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertValidKey(key);
    const action = `read "${key}"`;
    const signed = new URL(await this.call(action, () => this.client.presignedGetObject(this.bucket, key, PRESIGN_SECONDS)));
    let answer;
    try {
      answer = await this.reads.request({
        method: 'GET',
        path: `${signed.pathname}${signed.search}`,
        headers: range ? { range: `bytes=${range.start}-${range.end}` } : {},
      });
    } catch (error) {
      throw this.explain(networkFailure(error), action);
    }
    const { statusCode, body } = answer;
    if (statusCode === 206 || (statusCode === 200 && !range)) return body;
    const failure = await s3ErrorOf(body, statusCode);
    if (MISSING.has(failure.code ?? '')) throw new ObjectNotFoundError(key);
    throw this.explain(failure, action);
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
          `object storage at ${this.endpoint} refused to delete ${failed.length} of ${keys.length} objects under "${prefix}" ` +
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
              `object storage at ${this.endpoint} did not answer within ${this.checkTimeoutMs / 1000} s: is the S3 service (minio in compose) up, and is S3_ENDPOINT right?`,
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
        if (codeOf(error) !== 'BucketAlreadyOwnedByYou') throw this.bucketNotCreated(error);
      }
    }
    await this.probeWrite();
  }

  /**
   * The bucket is missing and making it failed. Unreachable, refused credentials and a full store
   * have their own message; anything else (no right to create buckets, a region the server
   * refuses, ...) says both facts and the server's code, not just "bucket does not exist".
   */
  private bucketNotCreated(error: unknown): Error {
    const failure = this.explain(error, `create the missing bucket "${this.bucket}"`);
    if (!(failure instanceof S3StorageError) || !['refused', 'no-bucket'].includes(failure.kind)) return failure;
    const reason = [failure.s3Code, error instanceof Error && error.message !== failure.s3Code ? error.message : undefined].filter(Boolean).join(': ');
    return new Error(
      `bucket "${this.bucket}" does not exist at ${this.endpoint}, and creating it failed (${reason || 'no reason given'}): ` +
        'create it yourself, or let these credentials create buckets, or check S3_BUCKET and S3_REGION',
      { cause: error },
    );
  }

  /** Reachable is not enough: prove these credentials may write and delete. */
  private async probeWrite(): Promise<void> {
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
    if (code === 'BucketAlreadyExists') {
      return new Error(`bucket "${this.bucket}" at ${this.endpoint} belongs to another account: choose another S3_BUCKET`, { cause: error });
    }
    const detail = error instanceof Error && error.message ? error.message : undefined;
    const status = (error as { statusCode?: number } | null)?.statusCode;
    return new S3StorageError(this.endpoint, this.bucket, action, code, detail, status, { cause: error, timeoutMs: code === 'ETIMEDOUT' ? this.requestTimeoutMs : undefined });
  }
}

/** undici's own codes for the network failures minio's transport reports as ETIMEDOUT or a socket error. */
const UNDICI_TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

function networkFailure(error: unknown): unknown {
  const code = codeOf(error);
  return code && UNDICI_TIMEOUTS.has(code) ? Object.assign(new Error((error as Error).message, { cause: error }), { code: 'ETIMEDOUT' }) : error;
}

/** What an S3 error answer says: its `<Code>` and `<Message>` (a HEAD-like answer with no body has neither), and the status. */
async function s3ErrorOf(body: Readable, statusCode: number): Promise<{ code?: string; message?: string; statusCode: number }> {
  let text = '';
  try {
    for await (const chunk of body) {
      text += String(chunk);
      if (text.length >= ERROR_BODY_LIMIT) break;
    }
  } catch {
    // The status alone still says what kind of failure it was.
  } finally {
    body.destroy();
  }
  const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1];
  const code = field('Code') ?? (statusCode === 404 ? 'NotFound' : statusCode === 200 ? 'RangeIgnored' : undefined);
  const message = statusCode === 200 ? 'the server answered a ranged read with the whole object' : field('Message');
  return { code, ...(message ? { message } : {}), statusCode };
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

/**
 * http(s).request with an inactivity limit until the answer's headers arrive: a request that sends
 * nothing and hears nothing for `timeoutMs` fails with ETIMEDOUT. Once the answer has begun, the
 * limit is lifted, so a slow reader of a long object (a player on a weak link) is never cut off.
 */
function timedTransport(transport: typeof http | typeof https, timeoutMs: number): Pick<typeof http, 'request'> {
  // minio calls request(options, callback) only.
  const request = (options: RequestOptions, callback?: (res: IncomingMessage) => void): ClientRequest => {
    const req = transport.request(options, (res) => {
      req.setTimeout(0);
      callback?.(res);
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })));
    return req;
  };
  return { request: request as typeof http.request };
}
