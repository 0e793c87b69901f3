import { describe, expect, it } from 'vitest';
import { formatLength, mediaFacts } from './format';

describe('a video\u2019s length and picture size on its row', () => {
  it('reads as players show lengths', () => {
    expect([0, 6.04, 59.6, 754, 3723].map(formatLength)).toEqual(['0:00', '0:06', '1:00', '12:34', '1:02:03']);
  });

  it('says what the probe found, and nothing before it', () => {
    expect(mediaFacts({ media: { status: 'ready', error: null, durationSeconds: 6.04, width: 854, height: 480 } })).toEqual(['0:06', '854×480']);
    expect(mediaFacts({ media: { status: 'queued', error: null, durationSeconds: null, width: null, height: null } })).toEqual([]);
    expect(mediaFacts({ media: { status: 'ready', error: null, durationSeconds: 4, width: null, height: null } })).toEqual(['0:04']);
    expect(mediaFacts({ media: null })).toEqual([]);
  });
});
