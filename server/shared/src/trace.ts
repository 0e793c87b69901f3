import { randomBytes } from 'node:crypto';

/**
 * The trace id carried by every log line and event a request causes: taken from a W3C
 * `traceparent` header when a caller sends one (00-<32 hex trace id>-<16 hex span>-<flags>),
 * otherwise new.
 */
export function traceIdFrom(traceparent: string | string[] | undefined): string {
  const value = Array.isArray(traceparent) ? traceparent[0] : traceparent;
  const match = value ? /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/.exec(value.trim().toLowerCase()) : null;
  if (match && !/^0+$/.test(match[1]!)) return match[1]!;
  return randomBytes(16).toString('hex');
}
