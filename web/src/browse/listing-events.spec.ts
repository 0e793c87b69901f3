import { describe, expect, it } from 'vitest';
import type { NebulaEvent } from '@nebula/contract';
import { listingImpact } from './listing-events';

const event = (type: string, subject: string, data: Record<string, unknown> = {}) => ({ id: '1', type, subject, data, traceId: null, time: '' }) as NebulaEvent;
const none = new Set<string>();

describe('what an event means for the folder on screen', () => {
  it('refreshes for a path in the folder, the folder itself, or a folder above it', () => {
    expect(listingImpact(event('upload.completed', 'file:a', { path: '/Holidays/beach.mp4' }), '/Holidays', none, false)).toBe('refresh');
    expect(listingImpact(event('file.moved', 'file:a', { from: '/Other/x.txt', to: '/Holidays/x.txt' }), '/Holidays', none, false)).toBe('refresh');
    expect(listingImpact(event('file.deleted', 'folder:b', { path: '/Holidays' }), '/Holidays/Archive', none, false)).toBe('refresh');
    expect(listingImpact(event('upload.completed', 'file:a', { path: '/Work/report.pdf' }), '/Holidays', none, false)).toBe('ignore');
  });

  it('refreshes for a media event about a listed file, and ignores one about a file elsewhere', () => {
    expect(listingImpact(event('media.failed', 'file:a'), '/Holidays', new Set(['a']), false)).toBe('refresh');
    expect(listingImpact(event('media.failed', 'file:z'), '/Holidays', new Set(['a']), false)).toBe('ignore');
  });

  it('loads again after a listing on its way when a media event names a file it does not list yet', () => {
    // A non-video fails milliseconds after its upload: the listing asked for on upload.completed
    // may answer "processing" after media.failed has already arrived.
    expect(listingImpact(event('media.failed', 'file:new'), '/Holidays', new Set(['a']), true)).toBe('after-load');
  });

  it('leaves the list alone for progress ticks and events of unknown kinds', () => {
    expect(listingImpact(event('media.progress', 'file:a', { percent: 40 }), '/Holidays', new Set(['a']), true)).toBe('ignore');
    expect(listingImpact(event('system.unknown', 'x:y', { path: '/Holidays/a' }), '/Holidays', none, false)).toBe('ignore');
  });
});
