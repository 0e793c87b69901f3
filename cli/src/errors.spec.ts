import { describe, expect, it } from 'vitest';
import { ApiError, describeError, EXIT, networkFailure, UnreachableError } from './errors';

describe('errors', () => {
  it('take the server message and code from its JSON body', () => {
    const error = ApiError.fromResponse(400, JSON.stringify({ statusCode: 400, code: 'invalid_name', message: 'a name cannot contain "/"' }), 'the upload');
    expect([error.status, error.code, error.message, describeError(error).exitCode]).toEqual([400, 'invalid_name', 'a name cannot contain "/"', EXIT.failed]);
  });

  it('fold a body that is not JSON into one line', () => {
    const error = ApiError.fromResponse(500, 'Something went wrong\nThe specified method is not allowed.\n', 'the upload');
    expect(error.message).toBe('the server answered 500: Something went wrong The specified method is not allowed.');
    expect(error.code).toBe('server_error');
  });

  it('say what a 403 means here, with its own exit code', () => {
    const error = ApiError.fromResponse(403, JSON.stringify({ statusCode: 403, code: 'forbidden', message: '203.0.113.9 is not on the tailnet' }), 'listing /');
    expect(error.message).toBe('the server refused listing /: 203.0.113.9 is not on the tailnet (only machines of your tailnet may use Nebula)');
    expect(describeError(error)).toEqual({ message: error.message, exitCode: EXIT.forbidden, code: 'forbidden' });
    expect(describeError(ApiError.fromResponse(404, '{}', 'x')).exitCode).toBe(EXIT.notFound);
  });

  it('find the network reason inside wrapped errors', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(networkFailure(new Error('fetch failed', { cause: refused }))).toBe('ECONNREFUSED');
    expect(networkFailure(new AggregateError([refused]))).toBe('ECONNREFUSED');
    expect(networkFailure(new Error('nope'))).toBeNull();
    expect(new UnreachableError('http://h:1', 'ECONNREFUSED').message).toBe('cannot reach the Nebula server at http://h:1: ECONNREFUSED (is it running? nebula login <url>)');
  });

  it('describe system errors in one line', () => {
    expect(describeError(Object.assign(new Error('x'), { code: 'ENOSPC', path: '/tmp/a.part' }))).toMatchObject({ message: 'disk full while writing /tmp/a.part' });
    expect(describeError(Object.assign(new Error('x'), { code: 'ENOENT', path: '/nope' }))).toMatchObject({ message: 'no such file or directory: /nope', exitCode: EXIT.notFound });
    expect(describeError(new Error('first\nsecond')).message).toBe('first');
  });
});
