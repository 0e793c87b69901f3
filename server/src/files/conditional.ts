/** What the conditional headers of a GET or HEAD ask for, given the file's current validators. */
export type Precondition = 'proceed' | 'failed' | 'not-modified';

export interface Validators {
  /** A strong ETag, quoted: `"<sha256>"`. */
  etag: string;
  lastModified: Date;
}

type Headers = Record<string, string | string[] | undefined>;

/**
 * RFC 9110 §13.2.2, in its order: If-Match (or, without it, If-Unmodified-Since) failing → 412;
 * then If-None-Match (or, without it, If-Modified-Since) matching → 304. Range and If-Range come
 * after this. Not the `fresh` package that Express uses: it ignores every condition when the request
 * says `Cache-Control: no-cache`, and fetch() adds exactly that to any request with conditional
 * headers, so a script or page revalidating with fetch() would never get its 304.
 */
export function evaluatePreconditions(headers: Headers, validators: Validators): Precondition {
  const ifMatch = single(headers['if-match']);
  if (ifMatch !== undefined) {
    if (!ifMatchHolds(ifMatch, validators.etag)) return 'failed';
  } else {
    const since = httpDate(single(headers['if-unmodified-since']));
    if (since !== undefined && seconds(validators.lastModified) > since) return 'failed';
  }
  const ifNoneMatch = single(headers['if-none-match']);
  if (ifNoneMatch !== undefined) return ifNoneMatchHolds(ifNoneMatch, validators.etag) ? 'not-modified' : 'proceed';
  const since = httpDate(single(headers['if-modified-since']));
  return since !== undefined && seconds(validators.lastModified) <= since ? 'not-modified' : 'proceed';
}

/** If-None-Match uses the weak comparison (W/"abc" matches "abc"). */
function ifNoneMatchHolds(value: string, etag: string): boolean {
  return value
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag);
}

/** If-Match uses the strong comparison: a weak tag (W/"...") never matches; `*` matches any existing file. */
function ifMatchHolds(value: string, etag: string): boolean {
  return value
    .split(',')
    .map((tag) => tag.trim())
    .some((tag) => tag === '*' || tag === etag);
}

/** Seconds since the epoch of an HTTP date; undefined when absent or not a date (an invalid date is ignored, §13.1.4). */
function httpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/** HTTP dates have whole seconds. */
function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
