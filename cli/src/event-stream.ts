import type { Readable } from 'node:stream';
import type { NebulaEvent } from '@nebula/contract';
import type { NebulaClient } from './api-client';
import { ApiError } from './errors';

export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

/**
 * Server-Sent Events as the spec reads them (html.spec.whatwg.org, "event stream interpretation"):
 * lines of `field: value`, a blank line ends a message, `:` starts a comment (the gateway's
 * keep-alive), `retry:` sets the reconnection delay.
 */
export class SseParser {
  /** Milliseconds to wait before reconnecting, once the server said (`retry:`). */
  retryMs: number | null = null;
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | null = null;
  private sawField = false;

  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const lines = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = lines.pop() ?? '';
    const messages: SseMessage[] = [];
    for (const line of lines) {
      if (line === '') {
        if (this.sawField && this.data.length > 0) messages.push({ id: this.id, event: this.event || 'message', data: this.data.join('\n') });
        this.data = [];
        this.event = '';
        this.sawField = false;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      this.sawField = true;
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.event = value;
      else if (field === 'id' && !value.includes('\0')) this.id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    }
    return messages;
  }
}

/**
 * How long the stream may stay silent before the connection counts as dead: three of the gateway's
 * keep-alive comments, which it sends every 15 s (HEARTBEAT_MS in server/src/events/events.controller.ts).
 * The HTTP client has no body timeout (downloads may pause), so after a laptop slept or a NAT
 * forgot the connection, only this notices.
 */
export const STREAM_IDLE_MS = 45_000;

export interface FollowOptions {
  /** Resume after this event id (the first connection sends it as Last-Event-ID); null: from now on. */
  after: string | null;
  onEvent: (event: NebulaEvent) => void;
  /** Told when the connection drops and when it is back; the follower keeps trying. */
  onConnection?: (state: 'connected' | 'reconnecting', reason?: string) => void;
  signal: AbortSignal;
  /** Silence after which the connection is dropped and made again (default STREAM_IDLE_MS). */
  idleMs?: number;
}

/**
 * Follows GET /api/events/stream until `signal` aborts. A dropped connection (the gateway restarted,
 * the network blinked, nothing arrived for `idleMs`) is retried with Last-Event-ID, so no event is
 * lost or repeated. Only the first connection failing is an error: then nobody is there to follow.
 */
export async function followEvents(client: Pick<NebulaClient, 'eventStream'>, options: FollowOptions): Promise<void> {
  const idleMs = options.idleMs ?? STREAM_IDLE_MS;
  let lastId = options.after;
  let connectedOnce = false;
  let retryMs = 2000;
  while (!options.signal.aborted) {
    let reason = 'the server closed the stream';
    const connection = new AbortController();
    const stop = () => connection.abort();
    options.signal.addEventListener('abort', stop, { once: true });
    let body: Readable | null = null;
    let idle: ReturnType<typeof setTimeout> | undefined;
    let silent = false;
    const watchIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        silent = true;
        connection.abort();
        // Also end the body itself: not every fetch implementation (Bun's) ends it on abort.
        body?.destroy(new Error('the event stream went silent'));
      }, idleMs);
    };
    try {
      body = await client.eventStream(lastId, connection.signal);
      connectedOnce = true;
      options.onConnection?.('connected');
      watchIdle();
      const parser = new SseParser();
      const decoder = new TextDecoder();
      for await (const chunk of body) {
        watchIdle();
        for (const message of parser.push(decoder.decode(chunk as Buffer, { stream: true }))) {
          if (message.id) lastId = message.id;
          let event: NebulaEvent;
          try {
            event = JSON.parse(message.data) as NebulaEvent;
          } catch {
            continue;
          }
          options.onEvent(event);
        }
        if (parser.retryMs !== null) retryMs = parser.retryMs;
      }
    } catch (error) {
      if (options.signal.aborted) return;
      if (!silent) {
        if (!connectedOnce) throw error;
        // A refusal (403, 400) will not change by retrying; a server error or a cut may.
        if (error instanceof ApiError && error.status < 500) throw error;
        reason = error instanceof Error ? error.message : String(error);
      }
    } finally {
      clearTimeout(idle);
      options.signal.removeEventListener('abort', stop);
    }
    if (options.signal.aborted) return;
    if (silent) reason = `nothing arrived for ${idleMs / 1000} s, not even a keep-alive`;
    options.onConnection?.('reconnecting', reason);
    await sleep(retryMs, options.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
