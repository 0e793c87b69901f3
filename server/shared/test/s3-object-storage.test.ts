import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { inspect } from 'node:util';
import { Client } from 'minio';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createObjectStorage, S3ObjectStorage, type ObjectStorage, type S3ObjectStorageOptions } from '../src/storage';
import { objectStorageContract } from './object-storage.contract';

/**
 * The s3 driver against a real S3-speaking server: s3rver (from npm) on a directory, on loopback.
 * Where s3rver falls short of MinIO the tests name the gap ("s3rver gap: ..."). One more shows only
 * on stderr: DeleteObjects with two keys in one folder can answer 500 (s3rver removes the emptied
 * folder twice); minio retries once, the retry succeeds, and it prints "Retrying request".
 */

const MiB = 1024 * 1024;
// s3rver's built-in account.
const ACCESS_KEY = 'S3RVER';
const SECRET_KEY = 'S3RVER';

let server: S3rver;
let directory: string;
let endpoint: string;
let port: number;
let buckets = 0;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'nebula-s3rver-'));
  server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  ({ port } = await server.run());
  endpoint = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await server?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

/** A bucket name nobody has used yet: check() has to create it. */
const freshBucket = () => `nebula-test-${++buckets}`;

function smallPartStorage(overrides: Partial<S3ObjectStorageOptions> = {}): S3ObjectStorage {
  return new S3ObjectStorage({
    endpoint,
    region: 'us-east-1',
    bucket: freshBucket(),
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    partSize: 5 * MiB,
    deleteBatchSize: 2,
    ...overrides,
  });
}

const rawClient = () =>
  new Client({ endPoint: '127.0.0.1', port, useSSL: false, accessKey: ACCESS_KEY, secretKey: SECRET_KEY, region: 'us-east-1', pathStyle: true });

// As configured from the environment: 16 MiB parts, so the contract's bodies go up in single PUTs.
const gaps = { listOrderAcrossFolders: 's3rver gap: it walks folders, so it lists "a/b" before "a-c"; MinIO and S3 list by key bytes' };

objectStorageContract(
  's3 via createObjectStorage (s3rver)',
  () => createObjectStorage({ driver: 's3', endpoint, region: 'us-east-1', bucket: freshBucket(), accessKey: ACCESS_KEY, secretKey: SECRET_KEY }),
  gaps,
);

// 5 MiB parts (the S3 minimum) and 2-key delete batches, so the same bodies and prefixes go through
// multipart uploads and several DeleteObjects requests.
objectStorageContract('s3 with 5 MiB parts and 2-key delete batches (s3rver)', () => smallPartStorage(), gaps);

describe('s3 driver', () => {
  it('uploads a body larger than one part as a multipart upload, pulling the body one part at a time', async () => {
    const storage = smallPartStorage();
    await storage.check();
    const client = (storage as unknown as { client: Client }).client; // white box: watch the parts go out
    let produced = 0;
    const ahead: number[] = [];
    const parts: number[] = [];
    const uploadPart = vi.spyOn(client, 'uploadPart').mockImplementation(async function (this: Client, config, payload) {
      parts.push((payload as Buffer).length);
      // How far the body has been read beyond the parts handed out so far.
      ahead.push(produced - parts.reduce((sum, n) => sum + n, 0));
      return Client.prototype.uploadPart.call(this, config, payload);
    });
    const size = 16 * MiB + 1;
    async function* body() {
      for (let offset = 0; offset < size; offset += 256 * 1024) {
        const chunk = Buffer.alloc(Math.min(256 * 1024, size - offset), offset / (256 * 1024));
        produced += chunk.length;
        yield chunk;
      }
    }

    expect(await storage.put('multipart/big.bin', Readable.from(body(), { objectMode: false }))).toMatchObject({ size });

    expect(parts).toEqual([5 * MiB, 5 * MiB, 5 * MiB, MiB + 1]);
    // Memory stays at about one part: the body is never read more than a chunk or two ahead.
    for (const bytes of ahead) expect(bytes).toBeLessThanOrEqual(MiB);
    uploadPart.mockRestore();
  });

  it('sends an object of exactly one part size in one piece', async () => {
    const storage = smallPartStorage();
    await storage.check();
    await storage.put('exact/part.bin', Readable.from([Buffer.alloc(5 * MiB, 7)]));
    expect(await storage.stat('exact/part.bin')).toMatchObject({ size: 5 * MiB });
  });

  it('stores the content type it is given', async () => {
    const storage = smallPartStorage();
    await storage.check();
    await storage.put('typed/master.m3u8', Readable.from([Buffer.from('#EXTM3U\n')]), { contentType: 'application/vnd.apple.mpegurl' });
    const stat = await rawClient().statObject((storage as unknown as { bucket: string }).bucket, 'typed/master.m3u8');
    expect(stat.metaData['content-type']).toBe('application/vnd.apple.mpegurl');
  });

  it('check() on an endpoint where nothing listens names the endpoint, says what to do, and keeps the secret out', async () => {
    const closedPort = await freePort();
    const secretKey = 'do-not-print-this-secret-7f3a';
    const storage = createObjectStorage({
      driver: 's3',
      endpoint: `http://127.0.0.1:${closedPort}`,
      region: 'us-east-1',
      bucket: 'nebula',
      accessKey: 'nebula',
      secretKey,
    });

    const error = (await storage.check().then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;

    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe(
      `object storage at http://127.0.0.1:${closedPort} is unreachable (ECONNREFUSED) when trying to look up bucket "nebula": ` +
        'is the S3 service (minio in compose) up, and is S3_ENDPOINT right?',
    );
    expect(inspect(error, { depth: 10 })).not.toContain(secretKey);
    expect(JSON.stringify(error)).not.toContain(secretKey);
  });

  it('check() with an unknown access key says the credentials were refused, without showing the secret', async () => {
    const secretKey = 'wrong-secret-b9c1';
    const storage = createObjectStorage({ driver: 's3', endpoint, region: 'us-east-1', bucket: 'nebula', accessKey: 'nobody', secretKey });

    const error = (await storage.check().then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;

    // A HEAD answer has no body, so a 403 reaches the client as AccessDenied whatever the reason.
    expect(error.message).toBe(
      `object storage at ${endpoint} refused the credentials (AccessDenied) when trying to look up bucket "nebula": check S3_ACCESS_KEY and S3_SECRET_KEY`,
    );
    expect(inspect(error, { depth: 10 })).not.toContain(secretKey);
  });

  it('a put that cannot reach the store rejects with the reason and stops reading the body', async () => {
    const closedPort = await freePort();
    const storage = smallPartStorage({ endpoint: `http://127.0.0.1:${closedPort}` });
    let produced = 0;
    const body = Readable.from(
      (async function* () {
        for (;;) {
          produced += 64 * 1024;
          yield Buffer.alloc(64 * 1024);
        }
      })(),
      { objectMode: false },
    );

    await expect(storage.put('never/arrives.bin', body)).rejects.toThrow(
      `object storage at http://127.0.0.1:${closedPort} is unreachable (ECONNREFUSED) when trying to start a multipart upload of "never/arrives.bin"`,
    );
    expect(body.destroyed).toBe(true);
    expect(produced).toBeLessThan(6 * MiB);
  });

  it('check() gives up on an endpoint that accepts connections but never answers', async () => {
    const connections = new Set<Socket>();
    const silent = createServer((socket) => connections.add(socket)); // takes the connection, says nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as { port: number }).port;
    try {
      const storage = new S3ObjectStorage({
        endpoint: `http://127.0.0.1:${silentPort}`,
        region: 'us-east-1',
        bucket: 'nebula',
        accessKey: 'nebula',
        secretKey: 'secret-never-shown',
        checkTimeoutMs: 300,
      });
      await expect(storage.check()).rejects.toThrow(
        `object storage at http://127.0.0.1:${silentPort} did not answer within 0.3 s: is the S3 service (minio in compose) up, and is S3_ENDPOINT right?`,
      );
    } finally {
      for (const socket of connections) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('refuses an endpoint with a path, and never echoes credentials in the URL', () => {
    const make = (endpoint: string) => () =>
      new S3ObjectStorage({ endpoint, region: 'us-east-1', bucket: 'nebula', accessKey: 'a', secretKey: 'b' });
    expect(make('http://minio:9000/nebula')).toThrow('S3_ENDPOINT "http://minio:9000/nebula" has a path: give only scheme, host and port');
    expect(make('http://user:hunter2@minio:9000/x')).toThrow('S3_ENDPOINT "http://user:***@minio:9000/x" has a path');
    expect(make('ftp://minio:9000')).toThrow('must start with http:// or https://');
  });

  describe('s3rver gaps (calls MinIO and S3 have that s3rver lacks)', () => {
    it('s3rver gap: ListMultipartUploads answers 501 NotImplemented, so minio\'s own putObject of a stream fails there (MinIO supports it; the driver does not need it)', async () => {
      const client = rawClient();
      await client.makeBucket('gap-list-uploads', 'us-east-1');
      // With no size given, minio's putObject always goes multipart and first looks for an unfinished
      // upload to resume, even for five bytes. The driver runs its own multipart upload instead.
      await expect(client.putObject('gap-list-uploads', 'tiny', Readable.from([Buffer.from('hello')]))).rejects.toMatchObject({
        code: 'NotImplemented',
      });
      await expect(client.listIncompleteUploadsQuery('gap-list-uploads', '', '', '', '')).rejects.toMatchObject({ code: 'NotImplemented' });
    });

    it('s3rver gap: AbortMultipartUpload answers 405 MethodNotAllowed (MinIO supports it), so the driver\'s abort after a failed put is best effort', async () => {
      const client = rawClient();
      await client.makeBucket('gap-abort', 'us-east-1');
      const uploadId = await client.initiateNewMultipartUpload('gap-abort', 'broken', {});
      await expect(client.abortMultipartUpload('gap-abort', 'broken', uploadId)).rejects.toMatchObject({ code: 'MethodNotAllowed' });
    });

    it.skip('a failed multipart put leaves no unfinished upload behind: needs ListMultipartUploads to observe and AbortMultipartUpload to happen, both s3rver gaps; holds against MinIO', () => {});

    it('s3rver gap: listing more than 1000 keys answers 500 on Node 17+, as its continuation tokens use DES, which OpenSSL 3 dropped (MinIO pages fine)', async () => {
      const storage = smallPartStorage();
      await storage.check();
      await putMany(storage, Array.from({ length: 1001 }, (_, i) => `many/${String(i).padStart(4, '0')}`));
      await expect(storage.deletePrefix('many/')).rejects.toThrow(/^object storage at http:\/\/127\.0\.0\.1:\d+ failed to list "many\/" \(.*500\)$/);
    }, 30_000);

    it.skip('deletes more than 1000 objects by prefix in DeleteObjects batches of at most 1000 keys: needs ListObjectsV2 paging, an s3rver gap on this Node (batching itself runs in the contract with 2-key batches); holds against MinIO', () => {});

    it('s3rver gap: it does not verify SigV4 signatures, so a wrong secret key passes there (MinIO refuses it with SignatureDoesNotMatch)', async () => {
      const storage = createObjectStorage({ driver: 's3', endpoint, region: 'us-east-1', bucket: freshBucket(), accessKey: ACCESS_KEY, secretKey: 'not-the-secret' });
      await expect(storage.check()).resolves.toBeUndefined();
    });

    it('s3rver gap: it lists "a/b" before "a-c" because it walks folders (MinIO and S3 list by key bytes: "a-c" < "a/b")', async () => {
      const storage = smallPartStorage();
      await storage.check();
      await putMany(storage, ['gap/a/b', 'gap/a-c']);
      const keys: string[] = [];
      for await (const object of storage.list('gap/')) keys.push(object.key);
      expect(keys).toEqual(['gap/a/b', 'gap/a-c']);
    });
  });
});

/** Puts a one-byte object at each key, 50 at a time. */
async function putMany(storage: ObjectStorage, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 50) {
    await Promise.all(keys.slice(i, i + 50).map((key) => storage.put(key, Readable.from([Buffer.from('x')]))));
  }
}

/** A port nothing listens on: bound, read, released. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
