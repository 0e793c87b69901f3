import { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import { API_ROUTES, ApiClient, ApiError } from '@nebula/contract';
import { networkFailure, UnreachableError } from './errors';

export interface ContentResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: Readable;
}

/**
 * The CLI's client of the gateway's API: the contract's ApiClient (the one client of the CLI and the
 * web UI), sent through undici with the CLI's timeouts, plus the two answers the CLI streams as Node
 * streams: downloads and the event stream. Uploads go through tus-js-client, see tus-upload.ts.
 */
export class NebulaClient extends ApiClient {
  private readonly dispatcher: Dispatcher;

  constructor(readonly server: string) {
    // Downloads of large originals may pause while the disk catches up: no body timeout.
    const dispatcher = new Agent({ connectTimeout: 10_000, bodyTimeout: 0, headersTimeout: 60_000 });
    super({
      baseUrl: server,
      fetch: (url, init) => fetchOver(dispatcher, url, init),
      unreachable: (error, doing) => unreachable(server, error, doing),
    });
    this.dispatcher = dispatcher;
  }

  /**
   * GET /api/files/{id}/content, from byte `from` on when given. `ifRange` is the ETag the caller's
   * partial copy came from: if the file changed since, the server answers 200 with all of it.
   */
  async content(id: string, options: { from?: number; ifRange?: string } = {}): Promise<ContentResponse> {
    const headers: Record<string, string> = {};
    if (options.from) {
      headers.range = `bytes=${options.from}-`;
      if (options.ifRange) headers['if-range'] = options.ifRange;
    }
    const response = await this.stream(API_ROUTES.content(id), 'the download', headers);
    if (response.statusCode >= 400 && response.statusCode !== 416) {
      throw ApiError.fromResponse(response.statusCode, await response.body.text(), 'the download');
    }
    const flat: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(response.headers)) flat[name] = Array.isArray(value) ? value.join(', ') : value;
    return { status: response.statusCode, headers: flat, body: response.body };
  }

  /**
   * GET /api/events/stream (Server-Sent Events), from after `lastEventId` when given. Resolves once
   * the server answered; the body is the stream.
   */
  async eventStream(lastEventId: string | null, signal: AbortSignal): Promise<Readable> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId) headers['last-event-id'] = lastEventId;
    const response = await this.stream(API_ROUTES.eventStream, 'the event stream', headers, signal);
    if (response.statusCode >= 400) throw ApiError.fromResponse(response.statusCode, await response.body.text(), 'the event stream');
    return response.body;
  }

  async close(): Promise<void> {
    // Under Bun, `undici` is Bun's own stand-in, whose Agent has no close().
    await (this.dispatcher as Partial<Pick<Dispatcher, 'close'>>).close?.();
  }

  /** A GET whose body the caller streams: undici's own request, no fetch in between (downloads are large). */
  private async stream(path: string, doing: string, headers: Record<string, string>, signal?: AbortSignal) {
    try {
      return await request(`${this.server}${path}`, { method: 'GET', dispatcher: this.dispatcher, headers: { accept: 'application/json', ...headers }, signal });
    } catch (error) {
      throw unreachable(this.server, error, doing);
    }
  }
}

function unreachable(server: string, error: unknown, doing: string): Error {
  const reason = networkFailure(error);
  if (reason) return new UnreachableError(server, reason);
  return new Error(`${doing} failed: ${(error as Error).message}`, { cause: error });
}

/**
 * fetch's shape over undici's request(): the contract's client speaks fetch, and undici's own
 * fetch would refuse the ports the Fetch standard blocks (a gateway may listen anywhere) and follow
 * redirects the CLI never followed.
 */
async function fetchOver(dispatcher: Dispatcher, url: string, init: RequestInit): Promise<Response> {
  const answer = await request(url, {
    method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
    dispatcher,
    headers: init.headers as Record<string, string>,
    body: typeof init.body === 'string' ? init.body : undefined,
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, one);
  }
  // The answers of this API are small JSON: read whole, so the connection is free at once.
  const text = await answer.body.text();
  return new Response([101, 204, 205, 304].includes(answer.statusCode) ? null : text, { status: answer.statusCode, headers });
}
