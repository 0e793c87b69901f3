import { ERRORS } from '@tus/utils';
import type { ApiErrorBody } from '@nebula/contract';
import type { DomainError } from '../errors/domain-errors';
import { apiErrorOf } from '../http/api-error';

/** A refusal as @tus/server sends it (thrown from a hook, or returned by onResponseError): a status and our JSON body. */
export interface TusRefusal {
  status_code: number;
  body: string;
}

/** A refusal of the tus protocol itself (460 checksum mismatch, 410 gone, 507 storage full). */
export function refuse(status: number, code: string, message: string): TusRefusal {
  const body: ApiErrorBody = { statusCode: status, code, message };
  return { status_code: status, body: JSON.stringify(body) };
}

/** The one mapping of a service's DomainError to tus: the status and body the rest of the API sends for it. */
export function tusRefusal(error: DomainError): TusRefusal {
  const body = apiErrorOf(error);
  return { status_code: body.statusCode, body: JSON.stringify(body) };
}

/** @tus/server's plain-text refusals, by body text: our stable code and a sentence that says what to do. */
const KNOWN: Record<string, { code: string; message: string }> = {
  [ERRORS.MISSING_OFFSET.body]: { code: 'missing_offset', message: 'a PATCH needs an Upload-Offset header' },
  [ERRORS.INVALID_TERMINATION.body]: { code: 'upload_finished', message: 'this upload is finished: it is a file now; delete the file instead (DELETE /api/files/<id>, nebula rm)' },
  [ERRORS.ERR_LOCK_TIMEOUT.body]: { code: 'upload_busy', message: 'another request is still writing to this upload; try again in a moment' },
  [ERRORS.INVALID_CONTENT_TYPE.body]: { code: 'invalid_content_type', message: 'a PATCH must have Content-Type: application/offset+octet-stream' },
  [ERRORS.FILE_NOT_FOUND.body]: { code: 'upload_not_found', message: 'no such upload (it may have finished, expired or been terminated)' },
  [ERRORS.INVALID_OFFSET.body]: { code: 'offset_mismatch', message: 'Upload-Offset is not where this upload stands; ask with HEAD and resume from there' },
  [ERRORS.FILE_NO_LONGER_EXISTS.body]: { code: 'upload_expired', message: 'this upload has expired; start it again' },
  [ERRORS.ERR_SIZE_EXCEEDED.body]: { code: 'too_large', message: 'the body goes beyond the Upload-Length declared when the upload was created' },
  [ERRORS.ERR_MAX_SIZE_EXCEEDED.body]: { code: 'too_large', message: 'the upload is larger than this Nebula accepts (Tus-Max-Size)' },
  [ERRORS.INVALID_LENGTH.body]: { code: 'invalid_length', message: 'creating an upload needs exactly one of Upload-Length (a whole number of bytes) or Upload-Defer-Length: 1' },
  [ERRORS.INVALID_METADATA.body]: { code: 'invalid_metadata', message: 'Upload-Metadata must be comma-separated "key base64value" pairs' },
  [ERRORS.FILE_WRITE_ERROR.body]: { code: 'storage_unavailable', message: 'the upload could not be written to storage; resume it in a moment' },
  [ERRORS.UNSUPPORTED_CONCATENATION_EXTENSION.body]: { code: 'unsupported', message: 'this server does not support the tus concatenation extension' },
  [ERRORS.UNSUPPORTED_CREATION_DEFER_LENGTH_EXTENSION.body]: { code: 'unsupported', message: 'this server does not support Upload-Defer-Length' },
  [ERRORS.UNSUPPORTED_EXPIRATION_EXTENSION.body]: { code: 'unsupported', message: 'this server does not support the tus expiration extension' },
  'Tus-Resumable Required\n': { code: 'tus_resumable_required', message: '/api/uploads speaks tus 1.0: send Tus-Resumable: 1.0.0 (any tus client does)' },
  'Not found\n': { code: 'not_found', message: 'no such tus route or method' },
};

/**
 * The JSON error body for a tus error response. Bodies that are already ours (JSON) pass through;
 * tus' own texts get a code; anything else (a 5xx from deep inside a store) is never echoed, since
 * it may name internal hosts and ports.
 */
export function tusErrorBody(status: number, text: string): ApiErrorBody {
  try {
    const parsed = JSON.parse(text) as Partial<ApiErrorBody>;
    // Our own refusals (refuse() in the uploads service) keep everything they carry, such as the
    // unfinished upload an upload_in_progress names.
    if (typeof parsed.code === 'string' && typeof parsed.message === 'string') return { ...parsed, statusCode: status, code: parsed.code, message: parsed.message };
  } catch {
    // tus' own plain text.
  }
  const known = KNOWN[text];
  if (known) return { statusCode: status, ...known };
  const invalid = /^Invalid ([\w -]+)\n$/.exec(text);
  if (invalid && status === 400) return { statusCode: status, code: 'invalid_header', message: `malformed tus header: ${invalid[1]!.trim()}` };
  if (status >= 500) return { statusCode: status, code: 'internal', message: 'Something went wrong on the server; the details are in its log.' };
  return { statusCode: status, code: `http_${status}`, message: text.trim().slice(0, 200) || `refused (${status})` };
}
