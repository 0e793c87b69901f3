import { describe, expect, it } from 'vitest';
import type { EntryDto } from '@nebula/contract';
import { entryRows, searchRow } from './entries-table';

const entry = (name: string, owner: string | null): EntryDto => ({
  id: name,
  kind: 'file',
  name,
  path: `/${name}`,
  size: 2048,
  mime: 'video/mp4',
  sha256: 'a'.repeat(64),
  status: 'ready',
  media: { status: 'ready', error: null },
  owner,
  createdAt: '2026-03-01T12:00:00.000Z',
  updatedAt: '2026-03-01T12:00:00.000Z',
});

describe('ls rows', () => {
  it('have an owner column when any entry has an owner', () => {
    const rows = entryRows([entry('a.mp4', 'alice@example.com'), entry('b.mp4', null)]);
    expect(rows.map((row) => [row.name, row.owner])).toEqual([
      ['a.mp4', 'alice@example.com'],
      ['b.mp4', ''],
    ]);
    expect(Object.keys(rows[0]!)).toEqual(['name', 'kind', 'size', 'modified', 'media', 'owner']);
  });

  it('say how far an unfinished upload got, and since when', () => {
    const unfinished: EntryDto = {
      ...entry('c.mp4', 'bob@example.com'),
      status: 'uploading',
      sha256: null,
      createdAt: '2026-03-01T09:30:00.000Z',
      upload: { received: 683, url: '/api/uploads/c', sha256: null, expiresAt: '2026-03-02T09:30:00.000Z' },
    };
    const [row] = entryRows([unfinished]);
    expect(row).toMatchObject({ media: 'uploading 33% (683 B)', owner: 'bob@example.com' });
    expect(row!.modified).toBe(entryRows([{ ...entry('d', null), updatedAt: '2026-03-01T09:30:00.000Z' }])[0]!.modified);
    expect(entryRows([{ ...unfinished, upload: { ...unfinished.upload!, received: null } }])[0]!.media).toBe('uploading');
  });

  it('have none when nobody is known (an embedded stack without Tailscale)', () => {
    expect(Object.keys(entryRows([entry('a.mp4', null)])[0]!)).toEqual(['name', 'kind', 'size', 'modified', 'media']);
  });
});

describe('ls rows of a folder of videos', () => {
  it('say each video’s length and picture size once probed, and leave them empty for the rest', () => {
    const video: EntryDto = { ...entry('walk.mp4', null), media: { status: 'ready', error: null, durationSeconds: 75.2, width: 1920, height: 1080 } };
    const queued: EntryDto = { ...entry('new.mp4', null), media: { status: 'queued', error: null } };
    const folder: EntryDto = { ...entry('Raw', null), kind: 'folder', size: null, media: null };
    const rows = entryRows([folder, video, queued]);
    expect(Object.keys(rows[0]!)).toEqual(['name', 'kind', 'size', 'length', 'picture', 'modified', 'media']);
    expect(rows.map((row) => [row.name, row.length, row.picture])).toEqual([
      ['Raw/', '', ''],
      ['walk.mp4', '1m 15s', '1920×1080'],
      ['new.mp4', '', ''],
    ]);
  });
});

describe('search rows', () => {
  it('say where each result is, and a video\u2019s length and picture size once probed', () => {
    const video: EntryDto = { ...entry('walk.mp4', null), path: '/Holidays/walk.mp4', media: { status: 'ready', error: null, durationSeconds: 75.2, width: 1080, height: 1920 } };
    expect(searchRow(video)).toEqual({ path: '/Holidays/walk.mp4', size: '2.00 KiB', length: '1m 15s', picture: '1080×1920', media: 'ready' });
    const folder: EntryDto = { ...entry('Holidays', null), kind: 'folder', path: '/Holidays', size: null, media: null };
    expect(searchRow(folder)).toEqual({ path: '/Holidays/', size: '', length: '', picture: '', media: '' });
  });
});
