import { S3Store } from '@tus/s3-store';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectStorage } from '@nebula/shared/storage';
import { OBJECT_STORAGE } from '../src/storage/storage.module';
import { UploadRecords } from '../src/uploads/upload-records';
import { startTestGateway, type TestGateway } from './gateway';

/**
 * @tus/s3-store keeps an upload's metadata (its name and folder) in an `uploads/<id>.info` object,
 * tagged complete but never deleted when the upload finishes, and a short tail in
 * `uploads/<id>.part`. This drives UploadRecords against the real s3 driver on the run's Ceph RGW,
 * with objects laid out as the store leaves them; uploads end to end are in upload-store.test.ts.
 */
describe('tus records with the s3 driver', () => {
  let gw: TestGateway;
  let storage: ObjectStorage;
  let records: UploadRecords;
  const put = (key: string, text: string) => storage.put(key, Readable.from([Buffer.from(text)]));

  beforeAll(async () => {
    gw = await startTestGateway('s3');
    storage = gw.app.get<ObjectStorage>(OBJECT_STORAGE);
    const s3 = gw.config.storage;
    if (s3.driver !== 's3') throw new Error('expected the s3 driver');
    const store = new S3Store({ s3ClientConfig: { bucket: s3.bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey } } });
    records = new UploadRecords(store, storage, gw.config.dataDir);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('forget() removes the .info and .part objects and keeps the file itself', async () => {
    const id = 'originals/6b0e1c2a-0000-4000-8000-000000000001';
    await put(id, 'the file');
    await put(`uploads/${id}.info`, JSON.stringify({ id, metadata: { filename: 'secret name.mov' } }));
    await put(`uploads/${id}.part`, 'tail');
    await records.forget(id);
    expect(await storage.stat(`uploads/${id}.info`)).toBeNull();
    expect(await storage.stat(`uploads/${id}.part`)).toBeNull();
    expect(await storage.stat(id)).not.toBeNull();
    // Nothing left to forget is fine.
    await records.forget(id);
  });

  it('olderThan() finds the uploads whose records are older than a time', async () => {
    const id = 'originals/6b0e1c2a-0000-4000-8000-000000000002';
    await put(`uploads/${id}.info`, '{}');
    const found: string[] = [];
    for await (const upload of records.olderThan(new Date(Date.now() + 60_000))) found.push(upload);
    expect(found).toContain(id);
    const none: string[] = [];
    for await (const upload of records.olderThan(new Date(Date.now() - 60 * 60_000))) none.push(upload);
    expect(none).not.toContain(id);
  });
});
