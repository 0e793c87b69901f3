import { describe, expect, it } from 'vitest';
import { loadConfig } from '@nebula/shared';
import { assertKnowsItsServer, joinedEnvironment, withCommandLine } from './join-server';

const token = `nbt_${'a'.repeat(43)}`;

describe('joining a server: the worker environment', () => {
  it('takes --server and --token as NEBULA_SERVER_URL and NEBULA_JOIN_TOKEN, and nothing else', () => {
    expect(withCommandLine(['--server', 'http://100.101.1.1:8080', '--token', token], { HOME: '/root' })).toEqual({
      HOME: '/root',
      NEBULA_SERVER_URL: 'http://100.101.1.1:8080',
      NEBULA_JOIN_TOKEN: token,
    });
    expect(withCommandLine([], { NEBULA_SERVER_URL: 'http://a:1' })).toEqual({ NEBULA_SERVER_URL: 'http://a:1' });
    expect(() => withCommandLine(['--sever', 'x'], {})).toThrow(/Unknown option '--sever'.*the worker takes --server <url> --token <token>/);
  });

  it('says both ways to name a server when it was given neither (a docker-compose.worker.yml .env left empty)', () => {
    expect(() => assertKnowsItsServer({ REDIS_URL: '', DATABASE_URL: '', NEBULA_SERVER_URL: '' })).toThrow(/^no server to work for: start it with --server <url> --token <token>/);
    expect(() => assertKnowsItsServer({ NEBULA_SERVER_URL: 'http://a:1' })).not.toThrow();
    expect(() => assertKnowsItsServer({ REDIS_URL: 'redis://a:1' })).not.toThrow();
  });

  it("puts the server's answer over the worker's own queue, database and store settings, for an fs server (objects through the gateway)", () => {
    const env = joinedEnvironment(
      { REDIS_URL: 'redis://old:6379', NEBULA_STORAGE_DRIVER: 's3', S3_ENDPOINT: 'http://old:9000', NEBULA_NODE_NAME: 'desk', NEBULA_SERVER_URL: 'http://100.101.1.1:8080', NEBULA_JOIN_TOKEN: token },
      { version: '0.1.0', redisUrl: 'redis://:pw@100.101.1.1:6379', databaseUrl: 'postgres://nebula:pg@100.101.1.1:5432/nebula', storage: { driver: 'gateway' } },
    );
    expect(env).toEqual({
      NEBULA_NODE_NAME: 'desk',
      NEBULA_SERVER_URL: 'http://100.101.1.1:8080',
      NEBULA_JOIN_TOKEN: token,
      REDIS_URL: 'redis://:pw@100.101.1.1:6379',
      DATABASE_URL: 'postgres://nebula:pg@100.101.1.1:5432/nebula',
      NEBULA_STORAGE_DRIVER: 'gateway',
    });
    expect(loadConfig(env).storage).toEqual({ driver: 'gateway', server: 'http://100.101.1.1:8080', token, requestTimeoutMs: 60_000 });
  });

  it("takes an s3 server's endpoint and keys", () => {
    const env = joinedEnvironment(
      { NEBULA_SERVER_URL: 'http://100.101.1.1:8080', NEBULA_JOIN_TOKEN: token },
      {
        version: '0.1.0',
        redisUrl: 'redis://100.101.1.1:6379',
        databaseUrl: 'postgres://n@100.101.1.1/nebula',
        storage: { driver: 's3', endpoint: 'http://100.101.1.1:9000', region: 'us-east-1', bucket: 'nebula', accessKey: 'k', secretKey: 's' },
      },
    );
    expect(loadConfig(env).storage).toEqual({ driver: 's3', endpoint: 'http://100.101.1.1:9000', region: 'us-east-1', bucket: 'nebula', accessKey: 'k', secretKey: 's', requestTimeoutMs: 60_000 });
  });
});
