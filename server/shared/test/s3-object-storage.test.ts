import { connect, createServer, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { inspect } from 'node:util';
import { Client } from 'minio';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createS3User, s3Client, startS3, unfinishedUploads, type TestBucket } from '../../../ops/test-support/s3-server';
import { dependencyFailure } from '../src/dependency-failure';
import { createObjectStorage, ObjectNotFoundError, S3ObjectStorage, type S3ObjectStorageOptions } from '../src/storage';
import { objectStorageContract } from './object-storage.contract';

/**
 * The s3 driver against a real S3 server: Ceph RGW on loopback, started for the run by
 * ops/test-support/rgw-setup.ts. Each store gets a bucket of its own, removed at the end.
 */

const MiB = 1024 * 1024;
const buckets: TestBucket[] = [];

/** A bucket nobody has used yet: check() has to create it. */
async function freshBucket(): Promise<TestBucket> {
  const bucket = await startS3();
  buckets.push(bucket);
  return bucket;
}

afterAll(async () => {
  for (const bucket of buckets) await bucket.stop();
});

async function smallPartStorage(overrides: Partial<S3ObjectStorageOptions> = {}): Promise<S3ObjectStorage> {
  const s3 = await freshBucket();
  return new S3ObjectStorage({ ...s3, partSize: 5 * MiB, deleteBatchSize: 2, ...overrides });
}

// As configured from the environment: 16 MiB parts, so the contract's bodies go up in single PUTs.
objectStorageContract('s3 via createObjectStorage (Ceph RGW)', async () => {
  const { endpoint, region, bucket, accessKey, secretKey } = await freshBucket();
  return createObjectStorage({ driver: 's3', endpoint, region, bucket, accessKey, secretKey });
});

// 5 MiB parts (the S3 minimum) and 2-key delete batches, so the same bodies and prefixes go through
// multipart uploads and several DeleteObjects requests.
objectStorageContract('s3 with 5 MiB parts and 2-key delete batches (Ceph RGW)', () => smallPartStorage());

describe('s3 driver', () => {
  it('uploads a body larger than one part as a multipart upload, pulling the body one part at a time', async () => {
    const storage = await smallPartStorage();
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
    const storage = await smallPartStorage();
    await storage.check();
    await storage.put('exact/part.bin', Readable.from([Buffer.alloc(5 * MiB, 7)]));
    expect(await storage.stat('exact/part.bin')).toMatchObject({ size: 5 * MiB });
  });

  it('stores the content type it is given', async () => {
    const storage = await smallPartStorage();
    await storage.check();
    await storage.put('typed/master.m3u8', Readable.from([Buffer.from('#EXTM3U\n')]), { contentType: 'application/vnd.apple.mpegurl' });
    const stat = await s3Client().statObject((storage as unknown as { bucket: string }).bucket, 'typed/master.m3u8');
    expect(stat.metaData['content-type']).toBe('application/vnd.apple.mpegurl');
  });

  it('a multipart put whose body fails part way aborts its upload: no unfinished upload is left in the bucket', async () => {
    const storage = await smallPartStorage();
    await storage.check();
    const bucket = (storage as unknown as { bucket: string }).bucket;
    const body = Readable.from(
      (async function* () {
        for (let i = 0; i < 12; i++) yield Buffer.alloc(MiB, i);
        throw new Error('the sender went away');
      })(),
      { objectMode: false },
    );
    await expect(storage.put('aborted/movie.bin', body)).rejects.toThrow('the sender went away');
    expect(await unfinishedUploads(bucket, 'aborted/')).toEqual([]);
    expect(await storage.stat('aborted/movie.bin')).toBeNull();
  });

  it('check() on an endpoint where nothing listens names the endpoint, says what to do, and keeps the secret out', async () => {
    const closedPort = await freePort();
    const secretKey = 'do-not-print-this-secret-7f3a';
    const storage = createObjectStorage({ driver: 's3', endpoint: `http://127.0.0.1:${closedPort}`, region: 'us-east-1', bucket: 'nebula', accessKey: 'nebula', secretKey });

    const error = await failureOf(storage.check());

    expect(error.message).toBe(
      `object storage at http://127.0.0.1:${closedPort} is unreachable (ECONNREFUSED) when trying to look up bucket "nebula": ` +
        'is the S3 service (minio in compose) up, and is S3_ENDPOINT right?',
    );
    expect(inspect(error, { depth: 10 })).not.toContain(secretKey);
    expect(JSON.stringify(error)).not.toContain(secretKey);
  });

  it('check() with an unknown access key, or the wrong secret, says the credentials were refused, without showing the secret', async () => {
    const s3 = await freshBucket();
    for (const keys of [
      { accessKey: 'NOBODY', secretKey: 'wrong-secret-b9c1' },
      { accessKey: s3.accessKey, secretKey: 'wrong-secret-b9c1' },
    ]) {
      const error = await failureOf(createObjectStorage({ driver: 's3', ...s3, ...keys }).check());
      // The S3 code differs by server and call (a HEAD answer has no body): only its kind is certain.
      expect(error.message).toMatch(
        new RegExp(`^object storage at ${escape(s3.endpoint)} refused the credentials \\(\\w+\\) when trying to look up bucket "${s3.bucket}": check S3_ACCESS_KEY and S3_SECRET_KEY$`),
      );
      expect(inspect(error, { depth: 10 })).not.toContain('wrong-secret-b9c1');
    }
  });

  it('check() on a full store says it is full, with the S3 code and the endpoint', async () => {
    const s3 = await freshBucket();
    const keys = await createS3User('full', { maxBytes: 1 });
    const error = await failureOf(createObjectStorage({ driver: 's3', ...s3, ...keys }).check());
    expect(error.message).toMatch(
      new RegExp(`^object storage at ${escape(s3.endpoint)} is full \\(\\w+\\) when trying to write a probe object to bucket "${s3.bucket}": free space there, or raise the quota of the S3 user$`),
    );
    await s3Client(keys).removeBucket(s3.bucket);
  });

  it('check() when the bucket is missing and cannot be created says both, with the S3 code', async () => {
    const s3 = await freshBucket();
    const keys = await createS3User('one-bucket', { maxBuckets: 1 });
    const other = await freshBucket();
    await createObjectStorage({ driver: 's3', ...other, ...keys }).check(); // its one bucket

    const error = await failureOf(createObjectStorage({ driver: 's3', ...s3, ...keys }).check());

    expect(error.message).toMatch(
      new RegExp(
        `^bucket "${s3.bucket}" does not exist at ${escape(s3.endpoint)}, and creating it failed \\(\\w+.*\\): create it yourself, or let these credentials create buckets, or check S3_BUCKET and S3_REGION$`,
      ),
    );
    await s3Client(keys).removeBucket(other.bucket);
  });

  it('a put that cannot reach the store rejects with the reason and stops reading the body', async () => {
    const closedPort = await freePort();
    const storage = await smallPartStorage({ endpoint: `http://127.0.0.1:${closedPort}` });
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

    const error = await failureOf(storage.put('never/arrives.bin', body));
    expect(error.message).toContain(`object storage at http://127.0.0.1:${closedPort} is unreachable (ECONNREFUSED) when trying to start a multipart upload of "never/arrives.bin"`);
    expect(dependencyFailure(error)).toMatchObject({ statusCode: 503, code: 'storage_unavailable' });
    expect(body.destroyed).toBe(true);
    expect(produced).toBeLessThan(6 * MiB);
  });

  it('check() gives up on an endpoint that accepts connections but never answers', async () => {
    await withSilentServer(async (endpoint) => {
      const storage = new S3ObjectStorage({ endpoint, region: 'us-east-1', bucket: 'nebula', accessKey: 'nebula', secretKey: 'secret-never-shown', checkTimeoutMs: 300 });
      await expect(storage.check()).rejects.toThrow(`object storage at ${endpoint} did not answer within 0.3 s: is the S3 service (minio in compose) up, and is S3_ENDPOINT right?`);
    });
  });

  it('a put to a server that stops answering fails after the request timeout instead of hanging', async () => {
    await withSilentServer(async (endpoint) => {
      const storage = new S3ObjectStorage({ endpoint, region: 'us-east-1', bucket: 'nebula', accessKey: 'nebula', secretKey: 'secret-never-shown', requestTimeoutMs: 500 });
      await expect(storage.put('stalled/part.bin', Readable.from([Buffer.alloc(1000)]))).rejects.toThrow(
        `object storage at ${endpoint} did not answer within 0.5 s when trying to store "stalled/part.bin" (ETIMEDOUT): is the S3 service (minio in compose) up, and is S3_ENDPOINT right?`,
      );
    });
  });

  it('ranged reads share one kept-alive connection, and a reader that leaves half way does not spoil the next read', async () => {
    const s3 = await freshBucket();
    const counter = await new ConnectionCounter(Number(new URL(s3.endpoint).port)).open();
    try {
      const storage = new S3ObjectStorage({ ...s3, endpoint: counter.endpoint });
      await storage.check();
      const size = 4 * MiB;
      const body = Buffer.alloc(size);
      for (let i = 0; i < size; i += 4) body.writeUInt32BE(i, i);
      await storage.put('reads/big.bin', Readable.from([body]));
      const before = counter.connections;

      for (let i = 0; i < 10; i++) {
        const start = i * 300_001;
        const bytes = await readAll(await storage.get('reads/big.bin', { start, end: start + 65_535 }));
        expect(bytes.equals(body.subarray(start, start + 65_536))).toBe(true);
      }
      // Not one per read: the pool may open a second while the first is being handed back.
      expect(counter.connections - before).toBeLessThanOrEqual(2);

      // A player that seeks away: the read is dropped after its first chunk.
      const abandoned = await storage.get('reads/big.bin');
      await new Promise((resolve) => abandoned.once('data', resolve));
      abandoned.destroy();
      expect((await readAll(await storage.get('reads/big.bin', { start: size - 10, end: size - 1 }))).equals(body.subarray(size - 10))).toBe(true);
    } finally {
      await counter.close();
    }
  });

  it('70 readers that stop reading (paused players) do not keep the next read waiting', async () => {
    const s3 = await freshBucket();
    const storage = new S3ObjectStorage({ ...s3, requestTimeoutMs: 5000 });
    await storage.check();
    await storage.put('reads/paused.bin', Readable.from([Buffer.alloc(4 * MiB, 7)]));
    const paused = await Promise.all(Array.from({ length: 70 }, () => storage.get('reads/paused.bin')));
    try {
      // Each has its answer begun and nobody taking its bytes: every one holds its connection.
      const next = await Promise.race([storage.get('reads/paused.bin', { start: 0, end: 9 }).then(readAll), new Promise<null>((r) => setTimeout(() => r(null), 4000))]);
      expect(next?.equals(Buffer.alloc(10, 7))).toBe(true);
    } finally {
      for (const read of paused) read.destroy();
    }
  });

  it('a read refused by the server keeps its S3 code and kind: wrong credentials, and a missing object', async () => {
    const s3 = await freshBucket();
    const good = new S3ObjectStorage(s3);
    await good.check();
    await good.put('refused/one.bin', Readable.from([Buffer.from('x')]));
    const error = await failureOf(new S3ObjectStorage({ ...s3, secretKey: 'wrong-secret-d41e' }).get('refused/one.bin', { start: 0, end: 0 }));
    expect(error.message).toBe(`object storage at ${s3.endpoint} refused the credentials (SignatureDoesNotMatch) when trying to read "refused/one.bin": check S3_ACCESS_KEY and S3_SECRET_KEY`);
    expect(inspect(error, { depth: 10 })).not.toContain('wrong-secret-d41e');
    // A refusal, not an outage: clients are told not to wait for it, and a job does not wait it out.
    expect(dependencyFailure(error)).toMatchObject({ statusCode: 502, code: 'storage_refused' });
    await expect(good.get('refused/none.bin', { start: 0, end: 0 })).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('a read from a server that stops answering fails after the request timeout instead of hanging', async () => {
    await withSilentServer(async (endpoint) => {
      const storage = new S3ObjectStorage({ endpoint, region: 'us-east-1', bucket: 'nebula', accessKey: 'nebula', secretKey: 'secret-never-shown', requestTimeoutMs: 500 });
      const error = await failureOf(storage.get('stalled/movie.mkv', { start: 0, end: 99 }));
      expect(error.message).toBe(
        `object storage at ${endpoint} did not answer within 0.5 s when trying to read "stalled/movie.mkv" (ETIMEDOUT): is the S3 service (minio in compose) up, and is S3_ENDPOINT right?`,
      );
      expect(dependencyFailure(error)).toMatchObject({ statusCode: 503, code: 'storage_unavailable' });
    });
  });

  it('refuses an endpoint with a path, and never echoes credentials in the URL', () => {
    const make = (endpoint: string) => () => new S3ObjectStorage({ endpoint, region: 'us-east-1', bucket: 'nebula', accessKey: 'a', secretKey: 'b' });
    expect(make('http://minio:9000/nebula')).toThrow('S3_ENDPOINT "http://minio:9000/nebula" has a path: give only scheme, host and port');
    expect(make('http://user:hunter2@minio:9000/x')).toThrow('S3_ENDPOINT "http://user:***@minio:9000/x" has a path');
    expect(make('ftp://minio:9000')).toThrow('must start with http:// or https://');
  });
});

async function failureOf(work: Promise<unknown>): Promise<Error> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A server that takes connections and never says a word, as a hung S3 server does. */
async function withSilentServer(work: (endpoint: string) => Promise<void>): Promise<void> {
  const connections = new Set<Socket>();
  const silent = createServer((socket) => {
    connections.add(socket);
    socket.pause(); // reads nothing either
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    await work(`http://127.0.0.1:${(silent.address() as { port: number }).port}`);
  } finally {
    for (const socket of connections) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
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

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A TCP hop to the S3 server that counts the connections made through it. */
class ConnectionCounter {
  connections = 0;
  private server = createServer();
  private readonly sockets = new Set<Socket>();

  constructor(private readonly port: number) {}

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async open(): Promise<this> {
    this.server.on('connection', (client) => {
      this.connections++;
      const upstream = connect(this.port, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => this.sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async close(): Promise<void> {
    const closed = new Promise((resolve) => this.server.close(resolve));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
