import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bearerToken, hashJoinToken, newJoinToken } from './join-token';

describe('join tokens', () => {
  it('makes a long random token, a short id, and keeps only its sha256', () => {
    const made = newJoinToken();
    expect(made.token).toMatch(/^nbt_[A-Za-z0-9_-]{43}$/);
    expect(made.id).toMatch(/^[0-9a-f]{8}$/);
    expect(made.hash).toBe(createHash('sha256').update(made.token).digest('hex'));
    expect(made.hash).not.toContain(made.token.slice(4));
    const other = newJoinToken();
    expect(other.token).not.toBe(made.token);
    expect(other.hash).not.toBe(made.hash);
  });

  it('verifies a token by its hash: the same token matches, a changed one does not', () => {
    const { token, hash } = newJoinToken();
    expect(hashJoinToken(token)).toBe(hash);
    const changed = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expect(hashJoinToken(changed)).not.toBe(hash);
  });

  it('refuses text that cannot be a token without hashing it', () => {
    for (const text of ['', 'nbt_', 'nbt_short', `xyz_${'a'.repeat(43)}`, `nbt_${'a'.repeat(44)}`, `nbt_${'a'.repeat(42)}=`]) expect(hashJoinToken(text), text).toBeNull();
  });

  it('reads the bearer token of an Authorization header', () => {
    expect(bearerToken('Bearer nbt_abc')).toBe('nbt_abc');
    expect(bearerToken('bearer   nbt_abc ')).toBe('nbt_abc');
    expect(bearerToken('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
  });
});
