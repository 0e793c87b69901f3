/**
 * What services throw when a request cannot be done: a kind (not found, conflict, invalid,
 * unavailable, too large), a stable `code` for programs and a sentence for people, plus any fields
 * the answer carries (the unfinished upload an `upload_in_progress` names). Services know nothing of
 * HTTP or tus: the HTTP mapping is apiErrorOf (http/api-error.ts), used by the exception filter and
 * by the tus refusals (uploads/tus-errors.ts).
 */
export abstract class DomainError extends Error {
  abstract readonly kind: 'not_found' | 'conflict' | 'invalid' | 'unavailable' | 'too_large' | 'unauthorized' | 'forbidden';

  constructor(
    readonly code: string,
    message: string,
    /** Extra fields of the answer, beside code and message. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The thing asked for does not exist. */
export class NotFoundError extends DomainError {
  readonly kind = 'not_found';
  override readonly name = 'NotFoundError';
}

/** The request is fine but the state of things refuses it (the name is taken, the folder is not empty). */
export class ConflictError extends DomainError {
  readonly kind = 'conflict';
  override readonly name = 'ConflictError';
}

/** The request itself is wrong (a bad path, name or parameter): the caller must change it. */
export class InvalidError extends DomainError {
  readonly kind = 'invalid';
  override readonly name = 'InvalidError';
}

/** Something the request needs is down for now; the same request may work later. */
export class UnavailableError extends DomainError {
  readonly kind = 'unavailable';
  override readonly name = 'UnavailableError';
}

/** The request is larger than this Nebula accepts. */
export class TooLargeError extends DomainError {
  readonly kind = 'too_large';
  override readonly name = 'TooLargeError';
}

/** The request needs credentials it did not bring, or brought ones nobody knows (a worker node's join token). */
export class UnauthorizedError extends DomainError {
  readonly kind = 'unauthorized';
  override readonly name = 'UnauthorizedError';
}

/** The caller is known, but may not do this (a worker node asking for a key outside its reach). */
export class ForbiddenError extends DomainError {
  readonly kind = 'forbidden';
  override readonly name = 'ForbiddenError';
}
