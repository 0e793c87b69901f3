import { describe, expect, it } from 'vitest';
import { SseParser } from './event-stream';

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
