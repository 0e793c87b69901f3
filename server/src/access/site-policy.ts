import { isIP } from 'node:net';

/**
 * What a browser page may do with Nebula, as plain functions (the middleware is cross-site-guard.ts).
 *
 * - Host: DNS rebinding points a foreign name at this machine, so the browser treats the gateway as
 *   part of the attacker's site. Only names that no stranger controls are answered: IP addresses
 *   (a page can only be same-origin with an address if we served it), `localhost`, this machine's
 *   host name, Tailscale's `*.ts.net` (Tailscale alone answers for that zone, with tailnet
 *   addresses only) and what NEBULA_ALLOWED_HOSTS adds.
 * - Origin: browsers name the page behind every cross-origin request and every POST/PATCH/DELETE;
 *   only the gateway's own origin and NEBULA_ALLOWED_ORIGINS are served. The CLI and curl send
 *   none, and are not browsers: nothing to forge for them.
 * - Body types: a plain HTML form can POST text/plain, urlencoded or multipart without any
 *   preflight; state changes take JSON (or tus, whose Tus-Resumable header a form cannot send).
 */

/** The host name of a Host header, lower-case, without port, brackets or a trailing dot; null when malformed. */
export function hostName(header: string): string | null {
  const text = header.trim().toLowerCase();
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(text);
  if (bracketed) return isIP(bracketed[1]!) === 6 ? bracketed[1]! : null;
  const plain = /^([a-z0-9.-]+)(?::\d{1,5})?$/.exec(text);
  if (!plain) return null;
  return plain[1]!.replace(/\.$/, '') || null;
}

export class HostAllowList {
  private readonly exact = new Set<string>();
  private readonly suffixes: string[] = ['.ts.net'];

  /** `names`: configured names (`*.example.com` for every name under it) and this machine's own. */
  constructor(names: string[]) {
    this.exact.add('localhost');
    for (const raw of names) {
      const name = raw.toLowerCase().replace(/\.$/, '');
      if (!name) continue;
      if (name.startsWith('*.')) this.suffixes.push(name.slice(1));
      else this.exact.add(name);
    }
  }

  /** Whether a request's Host header names this gateway; an absent one (HTTP/1.0) is not a browser's. */
  allows(header: string | undefined): boolean {
    if (header === undefined) return true;
    const name = hostName(header);
    if (name === null) return false;
    if (isIP(name) !== 0) return true;
    return this.exact.has(name) || this.suffixes.some((suffix) => name.endsWith(suffix) && name.length > suffix.length);
  }
}

/** Whether `origin` (the Origin header) is the page the gateway itself served for `host`. */
export function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    const url = new URL(origin);
    // The scheme is not compared: behind `tailscale serve` the page is https and the gateway hears http.
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === new URL(`http://${host.trim()}`).host;
  } catch {
    return false;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}

/** `application/json` or any `+json` type, with or without parameters. */
export function isJsonType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/**
 * Whether a state-changing request to a non-tus route comes in a form a plain HTML form (or a
 * no-cors fetch) cannot produce. POST, PUT and PATCH must say JSON, even with an empty body;
 * DELETE carries no body and no browser sends it cross-origin without a CORS preflight.
 */
export function hasAcceptableBodyType(method: string, contentType: string | undefined): boolean {
  const m = method.toUpperCase();
  if (m === 'POST' || m === 'PUT' || m === 'PATCH') return isJsonType(contentType);
  return true;
}
