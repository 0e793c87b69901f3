import type { ClientRequest, IncomingMessage } from 'node:http';
import * as http from 'node:http';
import * as https from 'node:https';
import { open, type FileHandle } from 'node:fs/promises';
import type { HttpRequest, HttpResponse, HttpStack } from 'tus-js-client';

/** Bytes read from the file per write to the socket. */
export const SEND_CHUNK = 1024 * 1024;
/** Chunks written to a request and not yet taken by the kernel: the most one PATCH holds in memory. */
const CHUNKS_IN_FLIGHT = 4;
/** Send buffers kept for the next request (uploads of many files, a PATCH after a retry). */
const SPARE_BUFFERS = 16;
/** tus-js-client's own stack reports progress at most this often. */
const PROGRESS_EVERY_MS = 100;

/**
 * Bytes [start, end) of a file, the body of one PATCH. Read in order, once each, into buffers the
 * sender lends; `onBytes` sees every byte as it is read (the sha256 computed while sending).
 */
export class FilePiece {
  private handle: Promise<FileHandle> | undefined;
  private at: number;

  constructor(
    private readonly path: string,
    private readonly start: number,
    private readonly end: number,
    private readonly onBytes?: (bytes: Buffer) => void,
  ) {
    this.at = start;
  }

  get size(): number {
    return this.end - this.start;
  }

  /** Reads the next bytes into `buffer`; 0 once the piece is all read. */
  async read(buffer: Buffer): Promise<number> {
    if (this.at >= this.end) return 0;
    this.handle ??= open(this.path, 'r');
    const { bytesRead } = await (await this.handle).read(buffer, 0, Math.min(buffer.length, this.end - this.at), this.at);
    if (bytesRead === 0) throw new FileChangedError(`${this.path} is shorter than ${this.end} bytes: did it change during the upload?`);
    this.at += bytesRead;
    this.onBytes?.(buffer.subarray(0, bytesRead));
    return bytesRead;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.then((h) => h.close()).catch(() => undefined);
  }
}

/** The file being sent is not what it was when the upload began: sending it again cannot help. */
export class FileChangedError extends Error {}

const spare: Buffer[] = [];

/**
 * tus-js-client's HTTP stack for Node, except for a FilePiece body: it is read into a few send buffers
 * that are used again once the kernel has taken them. tus-js-client's own stack pipes a read stream,
 * which makes a new 1 MiB buffer for every read: 2 GiB of them for a 2 GiB file, and V8 answers that
 * much memory coming and going with a full garbage collection every ~100 ms (66 during one 2 GiB
 * upload, about a fifth of the CLI's CPU time in a profile).
 */
export class FileSendingHttpStack implements HttpStack {
  createRequest(method: string, url: string): HttpRequest {
    return new FileSendingRequest(method, url);
  }

  getName(): string {
    return 'FileSendingHttpStack';
  }
}

class FileSendingRequest implements HttpRequest {
  private readonly headers: Record<string, string> = {};
  private request: ClientRequest | undefined;
  private progress: (bytesSent: number) => void = () => undefined;

  constructor(
    private readonly method: string,
    private readonly url: string,
  ) {}

  getMethod(): string {
    return this.method;
  }

  getURL(): string {
    return this.url;
  }

  setHeader(header: string, value: string): void {
    this.headers[header] = value;
  }

  getHeader(header: string): string | undefined {
    return this.headers[header];
  }

  setProgressHandler(handler: (bytesSent: number) => void): void {
    this.progress = handler;
  }

  send(body: unknown = null): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const url = new URL(this.url);
      const headers = { ...this.headers };
      if (body instanceof FilePiece) headers['Content-Length'] = String(body.size);
      const request = (url.protocol === 'https:' ? https : http).request(url, { method: this.method, headers });
      this.request = request;
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(new Response(response, Buffer.concat(chunks).toString('utf8'))));
        response.on('error', reject);
      });
      request.on('error', reject);
      if (body instanceof FilePiece) {
        sendPiece(request, body, this.progress).catch((error: Error) => request.destroy(error));
      } else if (body instanceof Uint8Array) {
        request.end(body, () => this.progress(body.length));
      } else {
        request.end();
      }
    });
  }

  abort(): Promise<void> {
    this.request?.destroy();
    return Promise.resolve();
  }

  getUnderlyingObject(): unknown {
    return this.request;
  }
}

class Response implements HttpResponse {
  constructor(
    private readonly response: IncomingMessage,
    private readonly body: string,
  ) {}

  getStatus(): number {
    return this.response.statusCode ?? 0;
  }

  getHeader(header: string): string | undefined {
    const value = this.response.headers[header.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  getBody(): string {
    return this.body;
  }

  getUnderlyingObject(): unknown {
    return this.response;
  }
}

/**
 * Writes the piece to the request, at most CHUNKS_IN_FLIGHT buffers at a time: a write's callback
 * says the socket has handed the bytes to the kernel, and its buffer is read into again. Stops when
 * the request goes away (an abort, the connection cut); the caller destroys it when a read fails.
 */
async function sendPiece(request: ClientRequest, piece: FilePiece, progress: (bytesSent: number) => void): Promise<void> {
  let inFlight = 0;
  let sent = 0;
  let reported = 0;
  let wake: (() => void) | undefined;
  // destroyed is set at once and 'close' comes later: a wait that began in between ends with it.
  request.once('close', () => wake?.());
  const report = (force: boolean) => {
    const now = Date.now();
    if (!force && now - reported < PROGRESS_EVERY_MS) return;
    reported = now;
    progress(sent);
  };
  try {
    for (;;) {
      while (inFlight >= CHUNKS_IN_FLIGHT && !request.destroyed) await new Promise<void>((resolve) => (wake = resolve));
      if (request.destroyed) return;
      const buffer = spare.pop() ?? Buffer.allocUnsafeSlow(SEND_CHUNK);
      const length = await piece.read(buffer);
      if (length === 0 || request.destroyed) {
        spare.push(buffer);
        break;
      }
      inFlight++;
      request.write(buffer.subarray(0, length), (error) => {
        inFlight--;
        if (spare.length < SPARE_BUFFERS) spare.push(buffer);
        if (!error) {
          sent += length;
          report(sent === piece.size);
        }
        wake?.();
      });
    }
    if (!request.destroyed) request.end();
  } finally {
    await piece.close();
  }
}
