import { describe, expect, it } from 'vitest';
import { redisOptionsFromUrl } from './redis-url';

describe('redisOptionsFromUrl', () => {
  it('reads host, port and database', () => {
    expect(redisOptionsFromUrl('redis://redis:6380/2')).toEqual({ host: 'redis', port: 6380, db: 2 });
  });
  it('defaults to port 6379 and database 0', () => {
    expect(redisOptionsFromUrl('redis://127.0.0.1')).toEqual({ host: '127.0.0.1', port: 6379, db: 0 });
  });
  it('decodes credentials and turns rediss into TLS', () => {
    expect(redisOptionsFromUrl('rediss://user:p%40ss@[::1]:7000')).toEqual({ host: '::1', port: 7000, username: 'user', password: 'p@ss', db: 0, tls: {} });
  });
  it('refuses a database that is not a number', () => {
    expect(() => redisOptionsFromUrl('redis://h/abc')).toThrow('REDIS_URL: "abc" is not a database number');
  });
});
