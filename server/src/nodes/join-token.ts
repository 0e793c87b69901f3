import { createHash, randomBytes } from 'node:crypto';

/**
 * Join tokens: `nbt_` and 32 random bytes (base64url). The gateway stores only the sha256 of a
 * token. A fast hash is enough here (unlike passwords): 256 random bits cannot be guessed, so the
 * hash needs no salt or stretching to keep a leaked table useless.
 */
const PREFIX = 'nbt_';
const TOKEN = /^nbt_[A-Za-z0-9_-]{43}$/;

export interface NewJoinToken {
  /** Short and not secret: names the token in lists and in `--revoke`. */
  id: string;
  token: string;
  hash: string;
}

export function newJoinToken(): NewJoinToken {
  const token = `${PREFIX}${randomBytes(32).toString('base64url')}`;
  return { id: randomBytes(4).toString('hex'), token, hash: hashJoinToken(token)! };
}

/** The stored form of a token, or null when the text cannot be one (no database look-up needed). */
export function hashJoinToken(token: string): string | null {
  if (!TOKEN.test(token)) return null;
  return createHash('sha256').update(token).digest('hex');
}

/** The token of an `Authorization: Bearer <token>` header; undefined when there is no such header. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
