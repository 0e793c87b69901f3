import { InvalidError } from '../errors/domain-errors';

/** A whole-number query parameter: `fallback` when absent or empty, a 400 naming it when it is not a whole number of `min` or more. */
export function wholeNumber(value: string | undefined, name: string, fallback: number, min: number): number {
  const n = value === undefined || value === '' ? fallback : Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidError('bad_request', `${name} must be a whole number of ${min} or more`);
  return n;
}
