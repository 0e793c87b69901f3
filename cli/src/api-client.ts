import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Agent, fetch as undiciFetch, type Dispatcher } from 'undici';
import { ApiClient } from '@nebula/contract';
import { networkFailure, UnreachableError } from './errors';

export interface ContentResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: Readable;
}

/**
 * The CLI's client of the gateway's API: the contract's ApiClient (one client for the CLI and the
 * web UI) on undici's fetch with the CLI's timeouts, plus Node streams for downloads and the event
 * stream. Uploads go through tus-js-client, see tus-upload.ts.
 */
export class NebulaClient extends ApiClient {
  private readonly dispatcher: Dispatcher;

  constructor(readonly server: string) {
    // Downloads of large originals may pause while the disk catches up: no body timeout.
    const dispatcher = new Agent({ connectTimeout: 10_000, bodyTimeout: 0, headersTimeout: 60_000 });
    super({
      baseUrl: server,
      fetch: (url, init) => undiciFetch(url, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher }) as unknown as Promise<Response>,
      unreachable: (error, doing) => {
        const reason = networkFailure(error);
        if (reason) return new UnreachableError(server, reason);
        return new Error(`${doing} failed: ${(error as Error).message}`, { cause: error });
      },
    });
    this.dispatcher = dispatcher;
  }

  /**
   * GET /api/files/{id}/content, from byte `from` on when given. `ifRange` is the ETag the caller's
   * partial copy came from: if the file changed since, the server answers 200 with all of it.
   */
  async content(id: string, options: { from?: number; ifRange?: string } = {}): Promise<ContentResponse> {
    const response = await this.openContent(id, options);
    const headers: Record<string, string | undefined> = {};
    response.headers.forEach((value, name) => (headers[name] = value));
    return { status: response.status, headers, body: nodeStream(response) };
  }

  /** The event stream's body (Server-Sent Events), from after `lastEventId` when given. */
  async eventStream(lastEventId: string | null, signal: AbortSignal): Promise<Readable> {
    return nodeStream(await this.openEventStream(lastEventId, signal));
  }

  async close(): Promise<void> {
    // Under Bun, `undici` is Bun's own stand-in, whose Agent has no close().
    await (this.dispatcher as Partial<Pick<Dispatcher, 'close'>>).close?.();
  }
}

function nodeStream(response: Response): Readable {
  return response.body ? Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>) : Readable.from([]);
}
