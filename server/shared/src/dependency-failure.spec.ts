import { describe, expect, it } from 'vitest';
import { dependencyFailure } from './dependency-failure';

function err(props: Record<string, unknown>, message = 'boom'): Error {
  return Object.assign(new Error(message), props);
}

describe('dependencyFailure', () => {
  it('says 507 for a full disk, wherever it is in the cause chain', () => {
    expect(dependencyFailure(err({ code: 'ENOSPC' }))?.statusCode).toBe(507);
    expect(dependencyFailure(err({ driverError: err({ code: '53100' }) }))).toMatchObject({ statusCode: 507, code: 'storage_full' });
    expect(dependencyFailure(new Error('wrapped', { cause: err({ code: 'EDQUOT' }) }))?.code).toBe('storage_full');
  });

  it('names the part that is down with 503', () => {
    expect(dependencyFailure(err({ code: '57P01' }))?.code).toBe('database_unavailable');
    expect(dependencyFailure(new Error('Connection terminated unexpectedly'))?.code).toBe('database_unavailable');
    expect(dependencyFailure(err({ name: 'MaxRetriesPerRequestError' }))?.code).toBe('queue_unavailable');
    expect(dependencyFailure(err({ $metadata: { httpStatusCode: 503 } }))?.code).toBe('storage_unavailable');
    // An S3-compatible server that lacks a call @tus/s3-store needs (ListParts, on some).
    expect(dependencyFailure(err({ name: 'MethodNotAllowed', $metadata: { httpStatusCode: 405 } }))?.code).toBe('storage_unavailable');
    expect(dependencyFailure(new AggregateError([err({ code: 'ECONNREFUSED' })], 'connect failed'))?.code).toBe('dependency_unavailable');
  });

  it('never repeats the driver message, host or port', () => {
    const failure = dependencyFailure(err({ code: 'ECONNREFUSED', address: '10.1.2.3', port: 5432 }, 'connect ECONNREFUSED 10.1.2.3:5432'));
    expect(JSON.stringify(failure)).not.toMatch(/10\.1\.2\.3|5432|ECONNREFUSED/);
  });

  it('leaves bugs alone (a 500 stays a 500)', () => {
    expect(dependencyFailure(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBeNull();
    expect(dependencyFailure(err({ code: '23505' }))).toBeNull();
    expect(dependencyFailure('text')).toBeNull();
  });
});
