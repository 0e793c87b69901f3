/**
 * The API's one error shape and the one error class its clients throw. The gateway answers every
 * failure with an ApiErrorBody; the CLI and the web UI turn it into an ApiError.
 */

/** Every error the API sends: a stable `code` for programs and a sentence for people. Some add fields (e.g. `upload`). */
export interface ApiErrorBody {
  statusCode: number;
  code: string;
  message: string;
}

/**
 * The stable codes the gateway sends. Programs may rely on these; a new one is added here first.
 * `<part>_unavailable` names the dependency that is down (database, queue, storage, dependency).
 */
export const ERROR_CODES = [
  'bad_request',
  'forbidden',
  'not_found',
  'conflict',
  'too_large',
  'unsupported_media_type',
  'range_not_satisfiable',
  'unavailable',
  'internal',
  // What a client calls a 5xx whose body names no code (a proxy's error page).
  'server_error',
  'invalid_name',
  'invalid_path',
  'invalid_move',
  'invalid_header',
  'invalid_metadata',
  'invalid_length',
  'invalid_content_type',
  'already_exists',
  'not_a_folder',
  'folder_not_empty',
  'not_ready',
  'not_replayable',
  'gone',
  'unsupported',
  'checksum_mismatch',
  'upload_not_found',
  'upload_in_progress',
  'upload_finished',
  'upload_expired',
  'upload_busy',
  'offset_mismatch',
  'missing_offset',
  'tus_resumable_required',
  'storage_full',
  // Object storage answered, and said no (wrong keys, no bucket): 502, not worth retrying.
  'storage_refused',
  'database_unavailable',
  'queue_unavailable',
  'storage_unavailable',
  'dependency_unavailable',
  // Worker nodes (README "Adding a machine"): no join token, or one the gateway does not know
  // (wrong, or revoked); a key outside what a node may touch.
  'unauthorized',
  'join_token_required',
  'join_token_invalid',
  'key_not_allowed',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The code an answer of `status` gets when its body names none (a proxy answered, or an old gateway). */
export function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'too_large';
    case 415:
      return 'unsupported_media_type';
    case 416:
      return 'range_not_satisfiable';
    case 503:
      return 'unavailable';
    default:
      return status >= 500 ? 'server_error' : `http_${status}`;
  }
}

/** The code and message of an error body, or null when it is not JSON (a proxy or something else answered). */
export function parseErrorBody(body: string): { code?: string; message?: string; fields: Record<string, unknown> } | null {
  try {
    const value: unknown = JSON.parse(body);
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const fields = value as Record<string, unknown>;
      const { code, message } = fields;
      return {
        code: typeof code === 'string' ? code : undefined,
        // Validation failures may list several reasons.
        message: typeof message === 'string' ? message : Array.isArray(message) ? message.join('; ') : undefined,
        fields,
      };
    }
  } catch {
    // not JSON
  }
  return null;
}

/** The gateway (or something in between) answered with an error status. `status` 0: no answer at all. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The whole error body, for the codes that carry more (e.g. `upload` with upload_in_progress). */
    readonly body: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /**
   * The error for an answer of `status` with `body`, which is ApiErrorBody JSON unless a proxy
   * answered; `doing` says what was asked ("listing /"). The server's sentence when it sent one,
   * else the status and the first line or so of the text (not of an HTML page).
   */
  static fromResponse(status: number, body: string, doing: string): ApiError {
    const parsed = parseErrorBody(body);
    const code = parsed?.code ?? codeForStatus(status);
    const text = body.trimStart().startsWith('<') ? '' : body.replace(/\s+/g, ' ').trim().slice(0, 200);
    let message = parsed?.message ?? `the server answered ${status}${text ? `: ${text}` : ''}`;
    if (status === 403) message = `the server refused ${doing}: ${message} (only machines of your tailnet may use Nebula)`;
    return new ApiError(status, code, message, parsed?.fields);
  }
}
