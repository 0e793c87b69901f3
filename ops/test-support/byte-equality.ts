import { expect } from 'vitest';

/**
 * Buffers compared as bytes. Vitest's own toEqual walks a Buffer element by element, about 4.5 s
 * per MiB on CI's machine: read-cache.test.ts spent 40-60 s of its 60 s timeout comparing a 5 MiB
 * object, and failed CI once. Two Buffers are equal when Buffer.equals says so; anything else
 * (a Buffer against a plain Uint8Array included) is left to vitest.
 */
expect.addEqualityTesters([
  (a: unknown, b: unknown): boolean | undefined => (Buffer.isBuffer(a) && Buffer.isBuffer(b) ? a.equals(b) : undefined),
]);
