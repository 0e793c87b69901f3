import { type ApiErrorBody } from '@nebula/contract';
import type { DomainError } from '../errors/domain-errors';

/** The one mapping of domain errors to HTTP: the status of each kind. */
const STATUS: Record<DomainError['kind'], number> = {
  not_found: 404,
  conflict: 409,
  invalid: 400,
  unavailable: 503,
  too_large: 413,
  unauthorized: 401,
  forbidden: 403,
};

/** The JSON answer for a domain error, as the exception filter sends it and tus refusals carry it. */
export function apiErrorOf(error: DomainError): ApiErrorBody & Record<string, unknown> {
  return { statusCode: STATUS[error.kind], code: error.code, message: error.message, ...error.details };
}
