import { randomBytes } from 'node:crypto';
import { Client } from 'minio';
import { inject } from 'vitest';
import { createRgwUser, type RgwUserOptions } from './rgw-server';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's real S3 server (Ceph RGW), started by rgw-setup.ts. */
    s3: { endpoint: string; region: string; accessKey: string; secretKey: string; conf: string };
  }
}

export interface TestBucket {
  endpoint: string;
  region: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  /** Empties and removes the bucket (unfinished multipart uploads too), freeing the server's RAM. */
  stop: () => Promise<void>;
}

/** A fresh bucket name on the run's S3 server; the bucket itself is made by whoever calls check() first. */
export async function startS3(): Promise<TestBucket> {
  const s3 = inject('s3');
  const bucket = `t-${randomBytes(6).toString('hex')}`;
  return {
    endpoint: s3.endpoint,
    region: s3.region,
    bucket,
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    stop: () => removeBucket(s3Client(), bucket),
  };
}

/** Another S3 user on the run's server; `maxBytes` gives it a quota, so writes past it are refused as on a full store. */
export function createS3User(uid: string, options: RgwUserOptions = {}): Promise<{ accessKey: string; secretKey: string }> {
  return createRgwUser(inject('s3').conf, `${uid}-${randomBytes(4).toString('hex')}`, options);
}

/** A plain minio client with the run's credentials, for looking at the server behind a driver's back. */
export function s3Client(keys: { accessKey: string; secretKey: string } = inject('s3')): Client {
  const { endpoint, region } = inject('s3');
  const url = new URL(endpoint);
  return new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey: keys.accessKey, secretKey: keys.secretKey, region, pathStyle: true });
}

/** Unfinished multipart uploads in a bucket (what an aborted or expired upload must not leave behind). */
export async function unfinishedUploads(bucket: string, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  for await (const upload of s3Client().listIncompleteUploads(bucket, prefix, true)) keys.push((upload as { key: string }).key);
  return keys;
}

/** Empties and removes a bucket, if these credentials can see it (another user's bucket is left to its owner). */
export async function removeBucket(client: Client, bucket: string): Promise<void> {
  const visible = await client.bucketExists(bucket).catch(() => false);
  if (!visible) return;
  const keys: string[] = [];
  for await (const object of client.listObjectsV2(bucket, '', true)) if ((object as { name?: string }).name) keys.push((object as { name: string }).name);
  for (let i = 0; i < keys.length; i += 1000) await client.removeObjects(bucket, keys.slice(i, i + 1000));
  for await (const upload of client.listIncompleteUploads(bucket, '', true)) {
    const { key, uploadId } = upload as { key: string; uploadId: string };
    await client.abortMultipartUpload(bucket, key, encodeURIComponent(uploadId));
  }
  await client.removeBucket(bucket);
}
