import { describe, expect, it } from 'vitest';
import { parseRoute, searchUrl } from './routes';

describe('the web UI\u2019s addresses', () => {
  it('reads a search\u2019s words from its query, and writes them back the same', () => {
    expect(parseRoute('/search?q=beach%20walk')).toEqual({ kind: 'search', q: 'beach walk' });
    expect(parseRoute(searchUrl('100% _done & more'))).toEqual({ kind: 'search', q: '100% _done & more' });
    expect(parseRoute('/search')).toEqual({ kind: 'search', q: '' });
  });

  it('tells the other pages apart, a query or not', () => {
    expect(parseRoute('/server')).toEqual({ kind: 'server' });
    expect(parseRoute('/deploys')).toEqual({ kind: 'deploys' });
    expect(parseRoute('/browse/a%20b/c?x=1')).toEqual({ kind: 'browse', path: '/a b/c' });
    expect(parseRoute('/searching')).toEqual({ kind: 'unknown' });
  });
});
