import { describe, expect, it } from 'vitest';
import { evaluatePreconditions } from './conditional';

const validators = { etag: '"abc"', lastModified: new Date('2026-11-01T10:00:00.500Z') };
const evaluate = (headers: Record<string, string>) => evaluatePreconditions(headers, validators);

describe('evaluatePreconditions', () => {
  it('proceeds without conditional headers', () => {
    expect(evaluate({})).toBe('proceed');
  });

  it('fails If-Match unless it names the current strong ETag or *', () => {
    expect(evaluate({ 'if-match': '"abc"' })).toBe('proceed');
    expect(evaluate({ 'if-match': '"x", "abc"' })).toBe('proceed');
    expect(evaluate({ 'if-match': '*' })).toBe('proceed');
    expect(evaluate({ 'if-match': '"stale"' })).toBe('failed');
    expect(evaluate({ 'if-match': 'W/"abc"' })).toBe('failed');
  });

  it('fails If-Unmodified-Since when the file changed after it, unless If-Match is there', () => {
    expect(evaluate({ 'if-unmodified-since': 'Sun, 01 Nov 2026 10:00:00 GMT' })).toBe('proceed');
    expect(evaluate({ 'if-unmodified-since': 'Sun, 01 Nov 2026 09:59:59 GMT' })).toBe('failed');
    expect(evaluate({ 'if-unmodified-since': 'not a date' })).toBe('proceed');
    expect(evaluate({ 'if-match': '"abc"', 'if-unmodified-since': 'Sun, 01 Nov 2026 09:00:00 GMT' })).toBe('proceed');
  });

  it('answers not-modified to a matching If-None-Match, or without it to If-Modified-Since at or after the change', () => {
    expect(evaluate({ 'if-none-match': '"x", W/"abc"' })).toBe('not-modified');
    expect(evaluate({ 'if-none-match': '"x"' })).toBe('proceed');
    expect(evaluate({ 'if-none-match': '*' })).toBe('not-modified');
    expect(evaluate({ 'if-modified-since': 'Sun, 01 Nov 2026 10:00:00 GMT' })).toBe('not-modified');
    expect(evaluate({ 'if-modified-since': 'Sun, 01 Nov 2026 11:00:00 GMT' })).toBe('not-modified');
    expect(evaluate({ 'if-modified-since': 'Sun, 01 Nov 2026 09:59:59 GMT' })).toBe('proceed');
    // If-None-Match wins over If-Modified-Since (RFC 9110 §13.1.3).
    expect(evaluate({ 'if-none-match': '"x"', 'if-modified-since': 'Sun, 01 Nov 2026 11:00:00 GMT' })).toBe('proceed');
  });

  it('answers conditions even with Cache-Control: no-cache, which fetch() adds to every conditional request', () => {
    expect(evaluate({ 'if-none-match': '"abc"', 'cache-control': 'no-cache' })).toBe('not-modified');
  });

  it('checks If-Match before If-None-Match', () => {
    expect(evaluate({ 'if-match': '"stale"', 'if-none-match': '"abc"' })).toBe('failed');
  });
});
