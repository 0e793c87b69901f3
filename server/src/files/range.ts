import parseRangeHeader from 'range-parser';
import type { ByteRange } from '@nebula/shared/storage';

export type RangeDecision =
  | { kind: 'full' }
  | { kind: 'partial'; range: ByteRange }
  | { kind: 'unsatisfiable' };

/**
 * What to send for a GET with these headers (RFC 9110 §14): one satisfiable range → 206; a range
 * past the end → 416; no Range, a malformed or invalid one (bytes=5-3), several ranges, or an
 * If-Range that no longer matches → the whole representation (servers may ignore multi-range requests; most players ask
 * for one range at a time).
 */
export function decideRange(headers: { range?: string; ifRange?: string }, size: number, validators: { etag: string; lastModified: Date }): RangeDecision {
  if (!headers.range) return { kind: 'full' };
  if (headers.ifRange !== undefined && !ifRangeMatches(headers.ifRange, validators)) return { kind: 'full' };
  if (size === 0) return { kind: 'unsatisfiable' };
  // A suffix longer than the file means the whole file (RFC 9110 §14.1.2); range-parser calls it unsatisfiable.
  const suffix = /^bytes=\s*-(\d+)\s*$/.exec(headers.range);
  if (suffix) {
    const length = Number(suffix[1]);
    return length === 0 ? { kind: 'unsatisfiable' } : { kind: 'partial', range: { start: Math.max(0, size - length), end: size - 1 } };
  }
  // bytes=5-3 is not a range that cannot be satisfied but an invalid one (RFC 9110 §14.1.1: the
  // last position before the first); an invalid Range is ignored. range-parser calls it -1 (416).
  if (hasBackwardsSpec(headers.range)) return { kind: 'full' };
  const parsed = parseRangeHeader(size, headers.range, { combine: true });
  if (parsed === -1) return { kind: 'unsatisfiable' };
  if (parsed === -2 || parsed.type !== 'bytes' || parsed.length !== 1) return { kind: 'full' };
  const [range] = parsed;
  return { kind: 'partial', range: { start: range!.start, end: range!.end } };
}

/** If-Range holds either a strong ETag (compared exactly) or an HTTP date (must equal Last-Modified). */
function ifRangeMatches(value: string, validators: { etag: string; lastModified: Date }): boolean {
  const v = value.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return v === validators.etag;
  const date = Date.parse(v);
  return !Number.isNaN(date) && Math.floor(date / 1000) === Math.floor(validators.lastModified.getTime() / 1000);
}

function hasBackwardsSpec(range: string): boolean {
  const specs = /^\s*bytes\s*=(.*)$/i.exec(range)?.[1]?.split(',') ?? [];
  return specs.some((spec) => {
    const bounds = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(spec);
    return bounds !== null && BigInt(bounds[2]!) < BigInt(bounds[1]!);
  });
}
/** True when If-None-Match lists this ETag (or *): the client's copy is current. */
export function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === etag);
}
