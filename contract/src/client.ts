/**
 * The one client of the gateway's JSON API, for the CLI and the web UI alike (uploads go through
 * tus; the web UI plays and downloads by URL, see API_ROUTES; the CLI streams downloads and the
 * event stream itself). Plain fetch: the web UI passes the browser's, the CLI a fetch over undici
 * with its own timeouts. What differs between them is injected: the base URL, extra headers, and
 * the error for "nobody answered".
 */
import type { DeployRecord, EntryDto, FolderListing, MediaDetails, MediaJobDto, MeDto, MoveRequest, SearchResults, VersionDto } from './api';
import { ApiError } from './errors';
import type { EventType, NebulaEvent } from './events';
import type { HealthReport } from './health';
import type { NewNodeTokenDto, NodeTokenDto } from './nodes';
import { API_ROUTES, withQuery } from './routes';

/**
 * What the client reads of an answer. fetch's Response has it all; the CLI makes a lighter one
 * (creating a Response or Headers in Node loads its built-in fetch, about 50 ms at every command's start).
 */
export interface ApiResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

type Fetch = (url: string, init: RequestInit) => Promise<ApiResponse>;

export interface ApiClientOptions {
  /** The gateway's origin, e.g. http://127.0.0.1:8080; '' in the browser (same origin). */
  baseUrl: string;
  fetch: Fetch;
  /** Sent with every request (the caller's own, e.g. a user agent). */
  headers?: Record<string, string>;
  /** Extra fetch options for every request (e.g. undici's `dispatcher`). */
  init?: Record<string, unknown>;
  /** The error to throw when fetch itself failed (`doing`: what was asked): nobody answered, or the request could not be sent. */
  unreachable: (cause: unknown, doing: string) => Error;
}

export class ApiClient {
  constructor(protected readonly options: ApiClientOptions) {}

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  get uploadsEndpoint(): string {
    return `${this.options.baseUrl}${API_ROUTES.uploads}`;
  }

  /** GET /api/health: 200 healthy, 503 degraded; both mean a Nebula gateway answered. */
  async health(): Promise<{ status: number; report: HealthReport | null }> {
    const doing = 'the health check';
    const response = await this.send('GET', API_ROUTES.health, doing);
    const text = await response.text();
    if (response.status !== 200 && response.status !== 503) throw ApiError.fromResponse(response.status, text, doing);
    try {
      return { status: response.status, report: JSON.parse(text) as HealthReport };
    } catch {
      return { status: response.status, report: null };
    }
  }

  listFolder(path: string): Promise<FolderListing> {
    return this.json('GET', withQuery(API_ROUTES.files, { path }), `listing ${path}`);
  }

  /** GET /api/search: names holding `q` in every folder, best first, a page at a time. */
  search(q: string, page: { limit?: number; offset?: number } = {}): Promise<SearchResults> {
    return this.json('GET', withQuery(API_ROUTES.search, { q, limit: page.limit, offset: page.offset }), `searching for ${JSON.stringify(q)}`);
  }

  /** GET /api/version: the gateway's version and the deployed commit. */
  version(): Promise<VersionDto> {
    return this.json('GET', API_ROUTES.version, 'asking for the version');
  }

  lookup(path: string): Promise<EntryDto> {
    return this.json('GET', withQuery(API_ROUTES.lookup, { path }), `looking up ${path}`);
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

  entry(id: string): Promise<EntryDto> {
    return this.json('GET', API_ROUTES.entry(id), 'looking up a file');
  }

  media(id: string): Promise<MediaDetails> {
    return this.json('GET', API_ROUTES.media(id), 'reading the media state');
  }

  /** GET /api/me: the tailnet user the gateway sees calling (null: the single owner). */
  me(): Promise<MeDto> {
    return this.json('GET', API_ROUTES.me, 'asking who I am');
  }

  createFolder(path: string, parents = false): Promise<EntryDto> {
    return this.json('POST', API_ROUTES.folders, `creating ${path}`, { path, parents });
  }

  move(id: string, change: MoveRequest): Promise<EntryDto> {
    return this.json('PATCH', API_ROUTES.entry(id), 'the move', change);
  }

  async remove(id: string, recursive: boolean): Promise<void> {
    const response = await this.ok('DELETE', withQuery(API_ROUTES.entry(id), { recursive: recursive ? 'true' : undefined }), 'the delete');
    await response.text();
  }

  /**
   * Gives up an unfinished upload: tus termination (DELETE) at its URL, e.g. /api/uploads/<id>.
   * One that is already gone (expired, given up elsewhere) is fine.
   */
  async terminateUpload(url: string): Promise<void> {
    const doing = 'giving up the unfinished upload';
    const response = await this.send('DELETE', url, doing, undefined, { 'tus-resumable': '1.0.0' });
    const text = await response.text();
    if (!response.ok && response.status !== 404 && response.status !== 410) throw ApiError.fromResponse(response.status, text, doing);
  }

  /**
   * GET /api/media/jobs: queued and running jobs (at most `limit`), then the `recent` last finished;
   * with `path`, only that file's, or those in that folder and below. `more` counts the queued and
   * running jobs the limit left out (the gateway's x-more-jobs header; 0 from a gateway without it).
   */
  async mediaJobs(query: { recent: number; limit?: number; path?: string }): Promise<{ jobs: MediaJobDto[]; more: number }> {
    const doing = 'listing media jobs';
    const response = await this.ok('GET', withQuery(API_ROUTES.mediaJobs, { recent: query.recent, limit: query.limit, path: query.path === '/' ? undefined : query.path }), doing);
    const more = Number(response.headers.get('x-more-jobs'));
    return { jobs: await this.parse<MediaJobDto[]>(response, doing), more: Number.isInteger(more) && more > 0 ? more : 0 };
  }

  /** GET /api/events: the newest `limit` events (of `type`), oldest first; or those after an id. */
  events(query: { limit: number; type?: EventType; after?: string }): Promise<NebulaEvent[]> {
    const newest = query.after ? undefined : 'true';
    return this.json('GET', withQuery(API_ROUTES.events, { limit: query.limit, type: query.type || undefined, after: query.after || undefined, newest }), 'listing events');
  }

  /** POST /api/events/{id}/replay: the event it appended (media.queued for upload.completed). */
  replay(id: string): Promise<NebulaEvent<'media.queued'>> {
    // An empty JSON body: the gateway takes state changes as JSON only (a cross-site form cannot send that).
    return this.json('POST', API_ROUTES.replay(id), `replaying event ${id}`, {});
  }

  deploys(limit: number): Promise<DeployRecord[]> {
    return this.json('GET', withQuery(API_ROUTES.deploys, { limit }), 'listing deploys');
  }

  /** POST /api/nodes/tokens: a new join token for a worker node; the answer is the only time it is shown. */
  createNodeToken(name?: string): Promise<NewNodeTokenDto> {
    return this.json('POST', API_ROUTES.nodeTokens, 'making a join token', name ? { name } : {});
  }

  nodeTokens(): Promise<NodeTokenDto[]> {
    return this.json('GET', API_ROUTES.nodeTokens, 'listing join tokens');
  }

  async revokeNodeToken(id: string): Promise<void> {
    const response = await this.ok('DELETE', API_ROUTES.nodeToken(id), `revoking join token ${id}`);
    await response.text();
  }

  /** A JSON request whose answer is JSON. */
  protected async json<T>(method: string, path: string, doing: string, body?: unknown): Promise<T> {
    return this.parse<T>(await this.ok(method, path, doing, body), doing);
  }

  /** A request that must succeed; the answer is left unread. */
  protected async ok(method: string, path: string, doing: string, body?: unknown): Promise<ApiResponse> {
    const response = await this.send(method, path, doing, body);
    if (!response.ok) throw ApiError.fromResponse(response.status, await response.text(), doing);
    return response;
  }

  protected async parse<T>(response: ApiResponse, doing: string): Promise<T> {
    const text = await response.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(response.status, 'bad_response', `${doing} failed: the answer was not Nebula's (is a proxy or a login page in between?)`);
    }
  }

  protected async send(method: string, path: string, doing: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const json: Record<string, string> = body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' };
    try {
      return await this.options.fetch(`${this.options.baseUrl}${path}`, {
        ...this.options.init,
        method,
        headers: { ...json, ...this.options.headers, ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw this.options.unreachable(error, doing);
    }
  }
}
