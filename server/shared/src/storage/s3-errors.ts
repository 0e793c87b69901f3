/**
 * What an S3 failure means to the person running Nebula, for both S3 clients the project makes
 * (minio for the storage port, the AWS SDK inside @tus/s3-store). Servers differ in their codes:
 * each kind lists what MinIO, Ceph RGW and AWS answer.
 */
export type S3FailureKind = 'unreachable' | 'timeout' | 'credentials' | 'full' | 'no-bucket' | 'refused' | 'unavailable';

/** Network failures that mean "nobody answered at that address", as opposed to an S3 error. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'UND_ERR_SOCKET']);
const TIMEOUT = new Set(['ETIMEDOUT', 'TimeoutError', 'RequestTimeout', 'ESOCKETTIMEDOUT']);
const BAD_CREDENTIALS = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken']);
// RGW: QuotaExceeded (user or bucket quota); MinIO: XMinioStorageFull; some gateways: InsufficientStorage.
const FULL = new Set(['QuotaExceeded', 'XMinioStorageFull', 'InsufficientStorage', 'XMinioAdminBucketQuotaExceeded']);
// The server's own trouble: worth a retry later.
const UNAVAILABLE = new Set(['ServiceUnavailable', 'SlowDown', 'InternalError', 'XMinioServerNotInitialized']);

export function classifyS3Failure(code: string | undefined, httpStatus?: number): S3FailureKind {
  if (code && UNREACHABLE.has(code)) return 'unreachable';
  if (code && TIMEOUT.has(code)) return 'timeout';
  if (code && BAD_CREDENTIALS.has(code)) return 'credentials';
  if ((code && FULL.has(code)) || httpStatus === 507) return 'full';
  if (code === 'NoSuchBucket') return 'no-bucket';
  if ((code && UNAVAILABLE.has(code)) || (httpStatus !== undefined && httpStatus >= 500)) return 'unavailable';
  return 'refused';
}

/** Whether waiting and trying again can help: the store is down or busy, rather than saying no. */
export function isTransientS3Failure(kind: S3FailureKind): boolean {
  return kind === 'unreachable' || kind === 'timeout' || kind === 'unavailable';
}

/**
 * An S3 call that failed: `message` is one line that says what failed, the S3 error code and the
 * endpoint (never credentials), and what to do; `s3Code` is the code the server (or network) gave.
 */
export class S3StorageError extends Error {
  readonly kind: S3FailureKind;

  /** `where` is the endpoint; undefined leaves it out, for messages that go to HTTP clients. */
  constructor(
    readonly where: string | undefined,
    readonly bucket: string,
    readonly action: string,
    readonly s3Code: string | undefined,
    detail: string | undefined,
    httpStatus: number | undefined,
    options?: { cause?: unknown; timeoutMs?: number },
  ) {
    const kind = classifyS3Failure(s3Code, httpStatus);
    super(explain(kind, { where, bucket, action, code: s3Code, detail, timeoutMs: options?.timeoutMs }), { cause: options?.cause });
    this.name = 'S3StorageError';
    this.kind = kind;
  }
}

function explain(
  kind: S3FailureKind,
  { where, bucket, action, code, detail, timeoutMs }: { where?: string; bucket: string; action: string; code?: string; detail?: string; timeoutMs?: number },
): string {
  const store = where ? `object storage at ${where}` : 'object storage';
  const check = 'is the S3 service (minio in compose) up, and is S3_ENDPOINT right?';
  switch (kind) {
    case 'unreachable':
      return `${store} is unreachable (${code}) when trying to ${action}: ${check}`;
    case 'timeout':
      return `${store} did not answer${timeoutMs ? ` within ${timeoutMs / 1000} s` : ''} when trying to ${action} (${code}): ${check}`;
    case 'credentials':
      return `${store} refused the credentials (${code}) when trying to ${action}: check S3_ACCESS_KEY and S3_SECRET_KEY`;
    case 'full':
      return `${store} is full (${code ?? '507'}) when trying to ${action}: free space there, or raise the quota of the S3 user`;
    case 'no-bucket':
      return `bucket "${bucket}" does not exist${where ? ` at ${where}` : ''} (NoSuchBucket when trying to ${action}): it is created when the gateway starts; check S3_BUCKET`;
    default:
      return `${store} failed to ${action} (${[code, detail && detail !== code ? detail : undefined].filter(Boolean).join(': ') || 'no reason given'})`;
  }
}
