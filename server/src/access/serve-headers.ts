import type { IncomingHttpHeaders } from 'node:http';
import { firstHeaderValue } from '../http/header-value';

/** The tailnet user `tailscale serve` names in its identity headers. */
export interface ServeUser {
  login: string;
  name: string | null;
}

/**
 * The user from `tailscale serve`'s Tailscale-User-Login / Tailscale-User-Name headers, or null
 * when there is none (tagged devices, Funnel requests, the local machine). Only call this for a
 * request whose socket peer is a trusted proxy: anyone else can write these headers.
 *
 * tailscaled sends a value with non-ASCII characters as an RFC 2047 Q-encoded word
 * (`=?utf-8?q?Ren=C3=A9?=`; tailscale/tailscale#11603), plain ASCII as is.
 */
export function serveUser(headers: IncomingHttpHeaders): ServeUser | null {
  const login = decodeHeaderValue(firstHeaderValue(headers['tailscale-user-login']));
  if (!login) return null;
  const name = decodeHeaderValue(firstHeaderValue(headers['tailscale-user-name']));
  return { login, name: name || null };
}

const ENCODED_WORD = /=\?([^?\s]+)\?([qQbB])\?([^?\s]*)\?=/g;

/** Undoes RFC 2047 encoded words (UTF-8, Q or B); text without them comes back trimmed and unchanged. */
export function decodeHeaderValue(value: string | undefined): string {
  if (!value) return '';
  // Whitespace between two adjacent encoded words is not part of the text (RFC 2047 section 6.2).
  const joined = value.replace(/(\?=)\s+(?==\?)/g, '$1');
  return joined
    .replace(ENCODED_WORD, (word, charset: string, encoding: string, text: string) => {
      if (!/^utf-?8$/i.test(charset)) return word;
      const bytes = encoding.toLowerCase() === 'b' ? Buffer.from(text, 'base64') : qBytes(text);
      return bytes.toString('utf8');
    })
    .trim();
}

function qBytes(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const hex = c === '=' ? text.slice(i + 1, i + 3) : '';
    if (c === '_') bytes.push(0x20);
    else if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes);
}
