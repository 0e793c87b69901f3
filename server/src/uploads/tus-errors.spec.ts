import { ERRORS } from '@tus/utils';
import { describe, expect, it } from 'vitest';
import { ConflictError, InvalidError } from '../errors/domain-errors';
import { tusErrorBody, tusRefusal } from './tus-errors';

describe('tusErrorBody', () => {
  it('gives tus refusals a stable code', () => {
    expect(tusErrorBody(409, ERRORS.INVALID_OFFSET.body)).toEqual({ statusCode: 409, code: 'offset_mismatch', message: 'Upload-Offset is not where this upload stands; ask with HEAD and resume from there' });
    expect(tusErrorBody(412, 'Tus-Resumable Required\n').code).toBe('tus_resumable_required');
    expect(tusErrorBody(400, 'Invalid upload-length \n')).toEqual({ statusCode: 400, code: 'invalid_header', message: 'malformed tus header: upload-length' });
  });

  it('passes our own JSON refusals through', () => {
    expect(tusErrorBody(409, JSON.stringify({ statusCode: 409, code: 'already_exists', message: '/a exists' }))).toEqual({ statusCode: 409, code: 'already_exists', message: '/a exists' });
  });

  it('never echoes an unknown 5xx text (it may name hosts and ports)', () => {
    expect(tusErrorBody(500, 'Something went wrong with that request\nconnect ECONNREFUSED 10.0.0.5:9000\n')).toEqual({
      statusCode: 500,
      code: 'internal',
      message: 'Something went wrong on the server; the details are in its log.',
    });
  });
});

describe('tusRefusal', () => {
  it('answers a domain error with the status and body the rest of the API sends', () => {
    expect(tusRefusal(new InvalidError('invalid_name', 'a name cannot contain "/"'))).toEqual({
      status_code: 400,
      body: JSON.stringify({ statusCode: 400, code: 'invalid_name', message: 'a name cannot contain "/"' }),
    });
    const refusal = tusRefusal(new ConflictError('upload_in_progress', '/a is being uploaded', { upload: { owner: 'ann' } }));
    expect(refusal.status_code).toBe(409);
    expect(tusErrorBody(refusal.status_code, refusal.body)).toEqual({ statusCode: 409, code: 'upload_in_progress', message: '/a is being uploaded', upload: { owner: 'ann' } });
  });
});
