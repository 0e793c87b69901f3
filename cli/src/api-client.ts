import { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import { API_ROUTES, ApiClient, ApiError, parseErrorBody, type ApiResponse } from '@nebula/contract';
import { networkFailure, UnreachableError } from './errors';
import { sayOnStderr } from './notices';

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
      fetch: (url, init) => fetchWaitingOutRestarts(dispatcher, url, init, RESTART_WAITS, sayWaiting),
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
 * Waits (ms) before asking again when a read meets a part of the server restarting: about half a
 * minute in all, as long as Postgres or the object storage takes to come back after a restart.
 */
export const RESTART_WAITS = [1_000, 2_000, 4_000, 8_000, 15_000];

/** The codes of a 503 that say a part of the server is down for now, not that the request is wrong. */
const RESTARTING = new Set(['database_unavailable', 'queue_unavailable', 'storage_unavailable', 'dependency_unavailable']);

/** Whether an answer's error code says a part of the server is restarting (worth waiting for). */
export function isRestarting(code: string | undefined): boolean {
  return code !== undefined && RESTARTING.has(code);
}

/** Whether asking twice changes nothing: reads, and making a folder with its parents (an existing folder is fine then). */
function safeToRepeat(url: string, init: RequestInit): boolean {
  const method = init.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD') return true;
  if (method !== 'POST' || new URL(url).pathname !== API_ROUTES.folders || typeof init.body !== 'string') return false;
  return (JSON.parse(init.body) as { parents?: unknown }).parents === true;
}

/** What the user sees while the CLI waits out a restart: one line on stderr per wait (stdout may be JSON for a script). */
function sayWaiting(answer: { code: string; message: string }, waitMs: number): void {
  sayOnStderr(`nebula: ${answer.message.split(';')[0]} (${answer.code}); asking again in ${waitMs / 1000} s`);
}

/**
 * fetchOver, asking again when a request that is safe to repeat (safeToRepeat) is answered 503
 * because a part of the server is restarting. Before, `nebula upload` (its lookups and folders
 * before sending), `ls` or `get` started during a Postgres restart failed at once. Other writes are
 * not asked again here: whether the first one took effect is unknown. /api/health's own 503 (a
 * report, with no code) is not a restart to wait out: `nebula status` says at once what is down.
 */
export async function fetchWaitingOutRestarts(
  dispatcher: Dispatcher,
  url: string,
  init: RequestInit,
  waits: readonly number[],
  onWait: (answer: { code: string; message: string }, waitMs: number) => void = () => undefined,
): Promise<ApiResponse> {
  const repeatable = safeToRepeat(url, init);
  for (let attempt = 0; ; attempt++) {
    const response = await fetchOver(dispatcher, url, init);
    if (response.status !== 503 || !repeatable || attempt >= waits.length) return response;
    const answer = parseErrorBody(await response.text());
    const code = answer?.code;
    if (code === undefined || !isRestarting(code)) return response;
    const retryAfter = Number(response.headers.get('retry-after'));
    const wait = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, waits[attempt]!) : waits[attempt]!;
    onWait({ code, message: answer?.message ?? 'a part of the server is restarting' }, wait);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/**
 * An answer as the contract's client reads it, over undici's request(): the contract's client
 * speaks fetch, and undici's own fetch would refuse the ports the Fetch standard blocks (a gateway
 * may listen anywhere) and follow redirects the CLI never followed. Not a Response: making one (or
 * a Headers) in Node loads its built-in fetch, 45-60 ms here at the start of every command.
 */
async function fetchOver(dispatcher: Dispatcher, url: string, init: RequestInit): Promise<ApiResponse> {
  const answer = await request(url, {
    method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
    dispatcher,
    headers: init.headers as Record<string, string>,
    body: typeof init.body === 'string' ? init.body : undefined,
  });
  // The answers of this API are small JSON: read whole, so the connection is free at once.
  const text = await answer.body.text();
  const status = answer.statusCode;
  return {
    status,
    ok: status >= 200 && status < 300,
    // undici names headers in lower case, and gives a repeated one as an array (fetch joins those with ", ").
    headers: {
      get: (name) => {
        const value = answer.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    },
    text: async () => text,
  };
}
