import { describe, expect, it } from 'vitest';
import type { Config } from '@nebula/shared';
import { joinSettings, withHost } from './join-settings';

const compose: Pick<Config, 'redisUrl' | 'databaseUrl' | 'storage' | 'nodeFacing'> = {
  redisUrl: 'redis://:r3dis@redis:6379',
  databaseUrl: 'postgres://nebula:pg%40ss@postgres:5432/nebula',
  storage: { driver: 's3', endpoint: 'http://minio:9000', region: 'us-east-1', bucket: 'nebula', accessKey: 'admin', secretKey: 'minio-secret' },
  nodeFacing: {},
};

describe('joinSettings: what a joining node is told', () => {
  it('gives the compose URLs with the host the node reached the gateway by, keeping ports and credentials', () => {
    expect(joinSettings(compose, '100.101.1.1:8080')).toEqual({
      version: '0.1.0',
      redisUrl: 'redis://:r3dis@100.101.1.1:6379',
      databaseUrl: 'postgres://nebula:pg%40ss@100.101.1.1:5432/nebula',
      storage: { driver: 's3', endpoint: 'http://100.101.1.1:9000', region: 'us-east-1', bucket: 'nebula', accessKey: 'admin', secretKey: 'minio-secret' },
    });
  });

  it('takes a tailnet name (tailscale serve) and an IPv6 tailnet address as they came', () => {
    expect(joinSettings(compose, 'nebula.tail1234.ts.net').redisUrl).toBe('redis://:r3dis@nebula.tail1234.ts.net:6379');
    expect(joinSettings(compose, '[fd7a:115c:a1e0::1]:8080').databaseUrl).toBe('postgres://nebula:pg%40ss@[fd7a:115c:a1e0::1]:5432/nebula');
  });

  it('uses the node-facing URLs the server configures instead, as they are', () => {
    const settings = joinSettings(
      { ...compose, nodeFacing: { redisUrl: 'redis://:r3dis@10.0.0.2:16379', databaseUrl: 'postgres://nebula:pg@10.0.0.2:15432/nebula', s3Endpoint: 'https://s3.example.com' } },
      '100.101.1.1:8080',
    );
    expect(settings).toMatchObject({ redisUrl: 'redis://:r3dis@10.0.0.2:16379', databaseUrl: 'postgres://nebula:pg@10.0.0.2:15432/nebula', storage: { endpoint: 'https://s3.example.com' } });
  });

  it('sends a node of an fs server through the gateway for objects: no disk path, no keys', () => {
    const settings = joinSettings({ ...compose, storage: { driver: 'fs', root: '/srv/nebula/data/objects' } }, '100.101.1.1:8080');
    expect(settings.storage).toEqual({ driver: 'gateway' });
    expect(JSON.stringify(settings)).not.toContain('/srv/nebula');
  });

  it('leaves the URLs alone when the request named no usable host', () => {
    expect(joinSettings(compose, undefined).redisUrl).toBe('redis://:r3dis@redis:6379');
    expect(joinSettings(compose, 'bad host!').redisUrl).toBe('redis://:r3dis@redis:6379');
  });

  it('withHost replaces only the host', () => {
    expect(withHost('rediss://u:p@a:1/2?x=y', 'b')).toBe('rediss://u:p@b:1/2?x=y');
  });
});
