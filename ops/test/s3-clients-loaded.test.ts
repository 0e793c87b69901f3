import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/**
 * The S3 clients (minio and undici for objects, @tus/s3-store and the AWS SDK for uploads) are
 * loaded only by a gateway that uses the s3 driver: on the fs driver they were about 15 MB of its
 * RSS at rest. Checked on the built gateway, as npm start runs it, in a process of its own: which of
 * them sit in Node's module cache once its stores are made for each driver.
 */
describe('the S3 clients', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nebula-s3-clients-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  function loadedAfterMakingStores(driver: 'fs' | 's3'): string[] {
    const storage =
      driver === 'fs'
        ? { driver: 'fs', root: join(dir, 'objects') }
        : { driver: 's3', endpoint: 'http://127.0.0.1:9', region: 'us-east-1', bucket: 'nebula', accessKey: 'key', secretKey: 'secret' };
    const script = `
      const { createTusStore } = require('./dist/uploads/tus-store.factory.js');
      const { createObjectStorage } = require('@nebula/shared/storage');
      const storage = ${JSON.stringify(storage)};
      createTusStore({ dataDir: ${JSON.stringify(dir)}, storage }, 60000, ${JSON.stringify(dir)});
      createObjectStorage(storage);
      const clients = /node_modules\\/(minio|@tus\\/s3-store|@aws-sdk\\/client-s3|undici)\\//;
      const loaded = new Set(Object.keys(require.cache).map((path) => clients.exec(path)?.[1]).filter(Boolean));
      console.log(JSON.stringify([...loaded].sort()));
    `;
    return JSON.parse(execFileSync(process.execPath, ['--conditions=production', '-e', script], { cwd: join(root, 'server'), encoding: 'utf8' })) as string[];
  }

  it('are not loaded by stores on the fs driver', () => {
    expect(loadedAfterMakingStores('fs')).toEqual([]);
  });

  it('are loaded when the stores are on the s3 driver', () => {
    expect(loadedAfterMakingStores('s3')).toEqual(['@aws-sdk/client-s3', '@tus/s3-store', 'minio', 'undici']);
  });
});
