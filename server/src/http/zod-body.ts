
import type { z } from 'zod';
import { InvalidError } from '../errors/domain-errors';

/** Validates a request body at the edge; the 400 names each bad field. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    throw new InvalidError('bad_request', problems.join('; '));
  }
  return result.data;
}
