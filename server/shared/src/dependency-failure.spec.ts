import { afterEach, describe, expect, it } from 'vitest';
import { dependencyFailure, nameDependencies } from './dependency-failure';
import { S3StorageError } from './storage/s3-errors';

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
    expect(dependencyFailure(err({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } }))?.code).toBe('storage_unavailable');
    expect(dependencyFailure(err({ name: 'TimeoutError', $metadata: {} }))?.code).toBe('storage_unavailable');
    // The storage port's errors (minio's client underneath), classified where they were made.
    const slow = new S3StorageError('http://minio:9000', 'nebula', 'read "a"', 'SlowDown', 'Please reduce your request rate.', 503, { cause: err({ code: 'SlowDown', statusCode: 503 }) });
    expect(dependencyFailure(slow)?.code).toBe('storage_unavailable');
    const gone = new S3StorageError('http://minio:9000', 'nebula', 'read "a"', 'ECONNREFUSED', undefined, undefined, { cause: err({ code: 'ECONNREFUSED' }) });
    expect(dependencyFailure(new Error('cannot read the original', { cause: gone }))?.code).toBe('storage_unavailable');
    expect(dependencyFailure(new AggregateError([err({ code: 'ECONNREFUSED' })], 'connect failed'))?.code).toBe('dependency_unavailable');
  });

  it('says 502 storage_refused when object storage answers no: waiting does not change it, so it is no outage', () => {
    const keys = new S3StorageError('http://minio:9000', 'nebula', 'read "a"', 'InvalidAccessKeyId', 'The access key does not exist.', 403, { cause: err({ code: 'InvalidAccessKeyId', statusCode: 403 }) });
    expect(dependencyFailure(keys)).toMatchObject({ statusCode: 502, code: 'storage_refused', message: expect.stringContaining('its credentials were refused') });
    expect(dependencyFailure(err({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }))).toMatchObject({ statusCode: 502, code: 'storage_refused' });
    expect(dependencyFailure(err({ name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } }))?.message).toContain('its bucket does not exist');
    // An S3-compatible server that lacks a call @tus/s3-store needs (ListParts, on some).
    expect(dependencyFailure(err({ name: 'MethodNotAllowed', $metadata: { httpStatusCode: 405 } }))?.code).toBe('storage_refused');
    // Full is full, whichever client saw it.
    expect(dependencyFailure(new S3StorageError('e', 'b', 'store "a"', 'QuotaExceeded', undefined, 403))?.code).toBe('storage_full');
    // Never the endpoint or the key's name.
    expect(JSON.stringify(dependencyFailure(keys))).not.toMatch(/minio:9000|InvalidAccessKeyId/);
  });

  describe('a refused or reset connection', () => {
    afterEach(() => nameDependencies({}));
    const refused = (port: number) => err({ code: 'ECONNREFUSED', address: '127.0.0.1', port, syscall: 'connect' }, `connect ECONNREFUSED 127.0.0.1:${port}`);

    it('is named by its port once the process has named its parts', () => {
      expect(dependencyFailure(refused(55432))?.code).toBe('dependency_unavailable');
      nameDependencies({ database: 'postgres://nebula:secret@127.0.0.1:55432/nebula', queue: 'redis://127.0.0.1:6380', storage: 'http://minio:9000' });
      expect(dependencyFailure(refused(55432))).toMatchObject({ code: 'database_unavailable', message: expect.stringMatching(/^the database \(Postgres\) is not answering/) });
      expect(dependencyFailure(err({ code: 'ECONNRESET', port: 6380 }))?.code).toBe('queue_unavailable');
      expect(dependencyFailure(refused(9000))?.code).toBe('storage_unavailable');
      // A port that is none of them, or none at all.
      expect(dependencyFailure(refused(8443))?.code).toBe('dependency_unavailable');
      expect(dependencyFailure(err({ code: 'ECONNREFUSED' }))?.code).toBe('dependency_unavailable');
    });

    it('takes the default ports, and names nothing where two parts share a port', () => {
      nameDependencies({ database: 'postgres://db/nebula', queue: 'redis://cache', storage: 'https://s3.example.com:6379' });
      expect(dependencyFailure(refused(5432))?.code).toBe('database_unavailable');
      expect(dependencyFailure(refused(6379))?.code).toBe('dependency_unavailable');
      // Storage that is not S3 (the fs driver) has no URL.
      nameDependencies({ database: 'postgres://db:5433/nebula', storage: undefined });
      expect(dependencyFailure(refused(5433))?.code).toBe('database_unavailable');
    });
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
