import { describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, InvalidError, NotFoundError, TooLargeError, UnauthorizedError, UnavailableError } from '../errors/domain-errors';
import { apiErrorOf } from './api-error';

describe('apiErrorOf: the one HTTP mapping of domain errors', () => {
  it('gives each kind its status and keeps the code and message', () => {
    expect(apiErrorOf(new NotFoundError('not_found', 'no event 7'))).toEqual({ statusCode: 404, code: 'not_found', message: 'no event 7' });
    expect(apiErrorOf(new ConflictError('folder_not_empty', '/a is not empty'))).toEqual({ statusCode: 409, code: 'folder_not_empty', message: '/a is not empty' });
    expect(apiErrorOf(new InvalidError('invalid_path', 'bad path'))).toEqual({ statusCode: 400, code: 'invalid_path', message: 'bad path' });
    expect(apiErrorOf(new UnavailableError('redis_down', 'Redis is down'))).toEqual({ statusCode: 503, code: 'redis_down', message: 'Redis is down' });
    expect(apiErrorOf(new TooLargeError('too_large', 'at most 10 bytes'))).toEqual({ statusCode: 413, code: 'too_large', message: 'at most 10 bytes' });
    expect(apiErrorOf(new UnauthorizedError('join_token_invalid', 'unknown token'))).toEqual({ statusCode: 401, code: 'join_token_invalid', message: 'unknown token' });
    expect(apiErrorOf(new ForbiddenError('key_not_allowed', 'not yours'))).toEqual({ statusCode: 403, code: 'key_not_allowed', message: 'not yours' });
  });

  it('carries the fields a conflict names, beside code and message', () => {
    const upload = { url: '/api/uploads/x', owner: 'ann' };
    expect(apiErrorOf(new ConflictError('upload_in_progress', '/a is being uploaded', { upload }))).toEqual({ statusCode: 409, code: 'upload_in_progress', message: '/a is being uploaded', upload });
  });
});
