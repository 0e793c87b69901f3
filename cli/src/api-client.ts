import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import type { DeployRecord, EntryDto, FolderListing, HealthReport, MediaDetails, MediaJobDto, MeDto, MoveRequest, NebulaEvent } from '@nebula/contract';
import { ApiError, networkFailure, UnreachableError } from './errors';

export interface ContentResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: Readable;
}

/** The one class that talks HTTP to the gateway's API (uploads go through tus-js-client, see tus-upload.ts). */
export class NebulaClient {
  private readonly dispatcher: Dispatcher;

  constructor(readonly server: string) {
    // Downloads of large originals may pause while the disk catches up: no body timeout.
    this.dispatcher = new Agent({ connectTimeout: 10_000, bodyTimeout: 0, headersTimeout: 60_000 });
  }

  get uploadsEndpoint(): string {
    return `${this.server}/api/uploads`;
  }

  /** GET /api/health: 200 healthy, 503 degraded; both mean a Nebula gateway answered. */
  async health(): Promise<{ status: number; report: HealthReport | null }> {
    const response = await this.send('GET', '/api/health', 'the health check');
    const text = await response.body.text();
    if (response.statusCode !== 200 && response.statusCode !== 503) throw ApiError.fromResponse(response.statusCode, text, 'the health check');
    try {
      return { status: response.statusCode, report: JSON.parse(text) as HealthReport };
    } catch {
      return { status: response.statusCode, report: null };
    }
  }

  listFolder(path: string): Promise<FolderListing> {
    return this.json<FolderListing>('GET', `/api/files?${new URLSearchParams({ path })}`, `listing ${path}`);
  }

  lookup(path: string): Promise<EntryDto> {
    return this.json<EntryDto>('GET', `/api/files/lookup?${new URLSearchParams({ path })}`, `looking up ${path}`);
  }

  /** The entry at `path`, or null if there is none. */
  async find(path: string): Promise<EntryDto | null> {
    try {
      return await this.lookup(path);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }

  /** GET /api/me: the tailnet user the gateway sees calling (null: the single owner). */
  me(): Promise<MeDto> {
    return this.json<MeDto>('GET', '/api/me', 'asking who I am');
  }

  /**
   * Gives up an unfinished upload: tus termination (DELETE) at its URL, e.g. /api/uploads/<id>.
   * One that is already gone (expired, given up elsewhere) is fine.
   */
  async terminateUpload(url: string): Promise<void> {
    const response = await this.send('DELETE', url, 'giving up the unfinished upload', undefined, { 'tus-resumable': '1.0.0' });
    const text = await response.body.text();
    if (response.statusCode >= 400 && response.statusCode !== 404 && response.statusCode !== 410) throw ApiError.fromResponse(response.statusCode, text, 'giving up the unfinished upload');
  }

  createFolder(path: string, parents: boolean): Promise<EntryDto> {
    return this.json<EntryDto>('POST', '/api/folders', `creating ${path}`, { path, parents });
  }

  move(id: string, change: MoveRequest): Promise<EntryDto> {
    return this.json<EntryDto>('PATCH', `/api/files/${encodeURIComponent(id)}`, 'the move', change);
  }

  async remove(id: string, recursive: boolean): Promise<void> {
    const query = recursive ? '?recursive=true' : '';
    const response = await this.send('DELETE', `/api/files/${encodeURIComponent(id)}${query}`, 'the delete');
    const text = await response.body.text();
    if (response.statusCode >= 400) throw ApiError.fromResponse(response.statusCode, text, 'the delete');
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
    const response = await this.send('GET', `/api/files/${encodeURIComponent(id)}/content`, 'the download', undefined, headers);
    if (response.statusCode >= 400 && response.statusCode !== 416) {
      throw ApiError.fromResponse(response.statusCode, await response.body.text(), 'the download');
    }
    const flat: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(response.headers)) flat[name] = Array.isArray(value) ? value.join(', ') : value;
    return { status: response.statusCode, headers: flat, body: response.body };
  }

  entry(id: string): Promise<EntryDto> {
    return this.json<EntryDto>('GET', `/api/files/${encodeURIComponent(id)}`, 'looking up a file');
  }

  media(id: string): Promise<MediaDetails> {
    return this.json<MediaDetails>('GET', `/api/files/${encodeURIComponent(id)}/media`, 'reading the media state');
  }

  /**
   * GET /api/media/jobs: queued and running jobs (at most `limit`), then the `recent` last finished;
   * with `path`, only that file's, or those in that folder and below. `more` counts the queued and
   * running jobs the limit left out (the gateway's x-more-jobs header; 0 from a gateway without it).
   */
  async mediaJobs(query: { recent: number; limit?: number; path?: string }): Promise<{ jobs: MediaJobDto[]; more: number }> {
    const params = new URLSearchParams({ recent: String(query.recent) });
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.path !== undefined && query.path !== '/') params.set('path', query.path);
    const response = await this.send('GET', `/api/media/jobs?${params}`, 'listing media jobs');
    const text = await response.body.text();
    if (response.statusCode >= 400) throw ApiError.fromResponse(response.statusCode, text, 'listing media jobs');
    const more = Number(response.headers['x-more-jobs']);
    return { jobs: JSON.parse(text) as MediaJobDto[], more: Number.isInteger(more) && more > 0 ? more : 0 };
  }

  /** GET /api/events: the newest `limit` events (of `type`), oldest first; or those after an id. */
  events(query: { limit: number; type?: string; after?: string }): Promise<NebulaEvent[]> {
    const params = new URLSearchParams({ limit: String(query.limit) });
    if (query.type) params.set('type', query.type);
    if (query.after) params.set('after', query.after);
    else params.set('newest', 'true');
    return this.json<NebulaEvent[]>('GET', `/api/events?${params}`, 'listing events');
  }

  /** POST /api/events/{id}/replay: the event it appended (media.queued for upload.completed). */
  replay(id: string): Promise<NebulaEvent<'media.queued'>> {
    // An empty JSON body: the gateway takes state changes as JSON only (a cross-site form cannot send that).
    return this.json<NebulaEvent<'media.queued'>>('POST', `/api/events/${encodeURIComponent(id)}/replay`, `replaying event ${id}`, {});
  }

  deploys(limit: number): Promise<DeployRecord[]> {
    return this.json<DeployRecord[]>('GET', `/api/deploys?limit=${limit}`, 'listing deploys');
  }

  /**
   * GET /api/events/stream (Server-Sent Events), from after `lastEventId` when given. Resolves once
   * the server answered; the body is the stream.
   */
  async eventStream(lastEventId: string | null, signal: AbortSignal): Promise<Readable> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId) headers['last-event-id'] = lastEventId;
    try {
      const response = await request(`${this.server}/api/events/stream`, { method: 'GET', dispatcher: this.dispatcher, headers, signal });
      if (response.statusCode >= 400) throw ApiError.fromResponse(response.statusCode, await response.body.text(), 'the event stream');
      return response.body;
    } catch (error) {
      const reason = networkFailure(error);
      if (reason) throw new UnreachableError(this.server, reason);
      throw error;
    }
  }

  async close(): Promise<void> {
    // Under Bun, `undici` is Bun's own stand-in, whose Agent has no close().
    await (this.dispatcher as Partial<Pick<Dispatcher, 'close'>>).close?.();
  }

  private async json<T>(method: Dispatcher.HttpMethod, path: string, what: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, what, body);
    const text = await response.body.text();
    if (response.statusCode >= 400) throw ApiError.fromResponse(response.statusCode, text, what);
    return JSON.parse(text) as T;
  }

  private async send(method: Dispatcher.HttpMethod, path: string, what: string, body?: unknown, headers: Record<string, string> = {}) {
    try {
      return await request(`${this.server}${path}`, {
        method,
        dispatcher: this.dispatcher,
        headers: body === undefined ? { accept: 'application/json', ...headers } : { accept: 'application/json', 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const reason = networkFailure(error);
      if (reason) throw new UnreachableError(this.server, reason);
      throw new Error(`${what} failed: ${(error as Error).message}`, { cause: error });
    }
  }
}
