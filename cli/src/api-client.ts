import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import type { EntryDto, FolderListing, HealthReport, MoveRequest } from '@nebula/shared';
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
