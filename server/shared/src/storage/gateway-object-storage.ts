import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { loadUndici } from './client-packages';
import { API_ROUTES, NODE_STORAGE_PATH, nodeStorageObjectPath, parseErrorBody, withQuery } from '@nebula/contract';
import { assertValidKey, assertValidPrefix, ObjectNotFoundError, type ByteRange, type ObjectStat, type ObjectStorage } from './object-storage';

export interface GatewayObjectStorageOptions {
  /** The gateway's origin as this node reaches it, e.g. http://100.101.102.103:8080. */
  server: string;
  /** The join token (`nebula node token`), sent as a bearer on every request. */
  token: string;
  /** How long a request may go without a byte moving before it fails (S3_REQUEST_TIMEOUT_SECONDS). */
  requestTimeoutMs?: number;
}

/** The gateway answered with an error (not "not found"): its code and sentence, never the token. */
export class GatewayStorageError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayStorageError';
  }
}

/**
 * Objects of a server that keeps them on its own disk (the fs driver), for a worker node on
 * another machine: through the gateway's node storage endpoints (NODE_STORAGE_PATH), authenticated
 * by the join token on every request. Reads are ranged GETs and writes streaming PUTs: bodies pass
 * through chunk by chunk both ways, never whole in memory. The gateway decides which keys a node
 * may touch (contract's nodeMay); this client only speaks HTTP.
 */
export class GatewayObjectStorage implements ObjectStorage {
  readonly driver = 'gateway' as const;
  readonly endpoint: string;
  private readonly dispatcher: Dispatcher;
  /** undici's request(), taken once: loadUndici() resolves the package on every call. */
  private readonly request: ReturnType<typeof loadUndici>['request'];
  private readonly authorization: string;

  constructor(options: GatewayObjectStorageOptions) {
    this.endpoint = new URL(options.server).origin;
    this.authorization = `Bearer ${options.token}`;
    const idle = options.requestTimeoutMs ?? 60_000;
    // headersTimeout/bodyTimeout: time without a byte moving, as S3_REQUEST_TIMEOUT_SECONDS means for s3.
    const { Agent, request } = loadUndici();
    this.request = request;
    this.dispatcher = new Agent({ connectTimeout: 10_000, headersTimeout: idle, bodyTimeout: idle, keepAliveTimeout: 10_000 });
  }

  async put(key: string, body: Readable, options: { contentType?: string } = {}): Promise<ObjectStat> {
    assertValidKey(key);
    const answer = await this.send('PUT', nodeStorageObjectPath(key), { body, headers: { 'content-type': options.contentType ?? 'application/octet-stream' } }, `storing "${key}"`);
    // A body that failed part way makes undici abort the request, so the gateway drops what it had.
    return parseStat(await this.json(answer, `storing "${key}"`));
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertValidKey(key);
    const headers: Record<string, string> = range ? { range: `bytes=${range.start}-${range.end}` } : {};
    const answer = await this.send('GET', nodeStorageObjectPath(key), { headers }, `reading "${key}"`, true);
    if (answer.statusCode === 404) {
      await answer.body.dump();
      throw new ObjectNotFoundError(key);
    }
    if (range && answer.statusCode !== 206) {
      await answer.body.dump();
      throw new GatewayStorageError(answer.statusCode, 'bad_response', `reading "${key}" bytes ${range.start}-${range.end} through ${this.endpoint}: expected 206, the gateway answered ${answer.statusCode}`);
    }
    return answer.body;
  }

  async stat(key: string): Promise<ObjectStat | null> {
    assertValidKey(key);
    const answer = await this.send('HEAD', nodeStorageObjectPath(key), {}, `looking up "${key}"`, true);
    await answer.body.dump();
    if (answer.statusCode === 404) return null;
    const size = Number(answer.headers['content-length']);
    const modified = new Date(String(answer.headers['x-object-modified'] ?? answer.headers['last-modified']));
    return { key, size, modified };
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await (await this.send('DELETE', nodeStorageObjectPath(key), {}, `deleting "${key}"`)).body.dump();
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix);
    const answer = await this.send('DELETE', withQuery(NODE_STORAGE_PATH, { prefix }), {}, `deleting "${prefix}*"`);
    return (await this.json<{ deleted: number }>(answer, `deleting "${prefix}*"`)).deleted;
  }

  /** One JSON object per line, read as it arrives: a long listing is never held whole. */
  async *list(prefix: string): AsyncIterable<ObjectStat> {
    assertValidPrefix(prefix);
    const answer = await this.send('GET', withQuery(NODE_STORAGE_PATH, { prefix }), { headers: { accept: 'application/x-ndjson' } }, `listing "${prefix}*"`);
    for await (const line of createInterface({ input: answer.body, crlfDelay: Infinity })) {
      if (line.trim()) yield parseStat(JSON.parse(line) as WireStat);
    }
  }

  async check(): Promise<void> {
    await (await this.send('GET', API_ROUTES.nodeStorageCheck, {}, 'checking the object store')).body.dump();
  }

  /** A request with the token; an error answer (except 404 when `notFoundIsAnswer`) becomes a GatewayStorageError. */
  private async send(
    method: Dispatcher.HttpMethod,
    path: string,
    options: { body?: Readable; headers?: Record<string, string> },
    doing: string,
    notFoundIsAnswer = false,
  ): Promise<Dispatcher.ResponseData> {
    let answer: Dispatcher.ResponseData;
    try {
      answer = await this.request(`${this.endpoint}${path}`, {
        method,
        dispatcher: this.dispatcher,
        headers: { authorization: this.authorization, ...options.headers },
        body: options.body,
      });
    } catch (error) {
      // A failed body (the caller's stream broke) surfaces as itself, not as a network problem.
      if (options.body?.errored) throw options.body.errored;
      throw new GatewayStorageError(0, 'storage_unavailable', `${doing} through ${this.endpoint}: ${(error as Error).message}`);
    }
    if (answer.statusCode < 400 || (notFoundIsAnswer && answer.statusCode === 404)) return answer;
    const text = method === 'HEAD' ? '' : await answer.body.text().catch(() => '');
    const parsed = parseErrorBody(text);
    throw new GatewayStorageError(answer.statusCode, parsed?.code ?? `http_${answer.statusCode}`, `${doing} through ${this.endpoint}: ${parsed?.message ?? `the gateway answered ${answer.statusCode}`}`);
  }

  private async json<T = WireStat>(answer: Dispatcher.ResponseData, doing: string): Promise<T> {
    const text = await answer.body.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new GatewayStorageError(answer.statusCode, 'bad_response', `${doing} through ${this.endpoint}: the answer was not the gateway's JSON`);
    }
  }
}

interface WireStat {
  key: string;
  size: number;
  modified: string;
}

function parseStat(wire: WireStat): ObjectStat {
  return { key: wire.key, size: wire.size, modified: new Date(wire.modified) };
}
