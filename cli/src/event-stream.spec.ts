import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { NebulaEvent } from '@nebula/contract';
import { followEvents, SseParser } from './event-stream';

const message = (id: string) => `id: ${id}\nevent: media.progress\ndata: ${JSON.stringify({ id, type: 'media.progress', subject: 'file:f1', data: {}, traceId: null, time: '2026-03-01T12:00:00.000Z' })}\n\n`;

/**
 * A stand-in for the gateway's event stream: each connection gets the next script, a function that
 * writes to the stream; what it does not end stays open and silent, as a connection does after
 * the laptop slept. Records the Last-Event-ID of every connection.
 */
function fakeGateway(scripts: ((stream: Readable) => void)[]) {
  const lastIds: (string | null)[] = [];
  return {
    lastIds,
    client: {
      eventStream: (lastEventId: string | null, signal: AbortSignal) => {
        lastIds.push(lastEventId);
        const stream = new Readable({ read() {} });
        signal.addEventListener('abort', () => stream.destroy(new Error('aborted')), { once: true });
        // Reconnect fast: the gateway says how soon with retry:.
        stream.push('retry: 10\n\n');
        scripts[lastIds.length - 1]?.(stream);
        return Promise.resolve(stream);
      },
    },
  };
}

describe('SseParser', () => {
  it('reads the gateway\'s stream: retry, ids, named events, keep-alive comments, split anywhere', () => {
    const parser = new SseParser();
    const stream = 'retry: 2000\n\nid: 41\nevent: media.progress\ndata: {"id":"41"}\n\n: keep-alive\n\nid: 42\nevent: media.ready\ndata: {"id":"42"}\n\n';
    const messages = [];
    for (let i = 0; i < stream.length; i += 7) messages.push(...parser.push(stream.slice(i, i + 7)));
    expect(messages).toEqual([
      { id: '41', event: 'media.progress', data: '{"id":"41"}' },
      { id: '42', event: 'media.ready', data: '{"id":"42"}' },
    ]);
    expect(parser.retryMs).toBe(2000);
  });

  it('joins multi-line data, accepts CRLF, defaults the event name, keeps the last id', () => {
    const parser = new SseParser();
    expect(parser.push('data: one\r\ndata:two\r\n\r\n')).toEqual([{ id: null, event: 'message', data: 'one\ntwo' }]);
    expect(parser.push('id: 7\n\ndata: x\n\n')).toEqual([{ id: '7', event: 'message', data: 'x' }]);
  });

  it('waits for the blank line that ends a message', () => {
    const parser = new SseParser();
    expect(parser.push('id: 1\ndata: {}\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ id: '1', event: 'message', data: '{}' }]);
  });
});

describe('followEvents', () => {
  it('drops a connection that went silent and resumes after the last event it saw', async () => {
    const stop = new AbortController();
    const gateway = fakeGateway([(stream) => stream.push(message('41')), (stream) => stream.push(message('42'))]);
    const seen: string[] = [];
    const states: string[] = [];
    await followEvents(gateway.client, {
      after: '40',
      signal: stop.signal,
      idleMs: 100,
      onEvent: (event: NebulaEvent) => {
        seen.push(event.id);
        if (event.id === '42') stop.abort();
      },
      onConnection: (state, reason) => states.push(reason ? `${state}: ${reason}` : state),
    });
    expect(seen).toEqual(['41', '42']);
    expect(gateway.lastIds).toEqual(['40', '41']);
    expect(states).toEqual(['connected', 'reconnecting: nothing arrived for 0.1 s, not even a keep-alive', 'connected']);
  });

  it('keeps a connection that sends keep-alives, however long no event comes', async () => {
    const stop = new AbortController();
    const gateway = fakeGateway([
      (stream) => {
        // Keep-alives for three times the idle time, then an event.
        let sent = 0;
        const timer = setInterval(() => {
          if (++sent < 30) return void stream.push(': keep-alive\n\n');
          clearInterval(timer);
          stream.push(message('7'));
        }, 50);
      },
    ]);
    const seen: string[] = [];
    await followEvents(gateway.client, {
      after: null,
      signal: stop.signal,
      idleMs: 500,
      onEvent: (event) => {
        seen.push(event.id);
        stop.abort();
      },
    });
    expect(seen).toEqual(['7']);
    expect(gateway.lastIds).toEqual([null]);
  });
});
