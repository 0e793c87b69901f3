import { describe, expect, it } from 'vitest';
import type { Entry } from './entry.entity';
import { ReadyFiles } from './ready-files';

const entry = (id: string, name = `${id}.mp4`) => ({ id, name, mime: 'video/mp4', size: 10, sha256: 'ab', storageKey: `originals/${id}`, createdAt: new Date(0), probe: { big: 'x' } }) as unknown as Entry;

describe('ReadyFiles', () => {
  it('keeps only what serving needs, and at most `limit` files, dropping the least recently used', () => {
    const files = new ReadyFiles();
    files.enabled = true;
    files.limit = 2;
    expect(files.remember(entry('a'))).toEqual({ id: 'a', name: 'a.mp4', mime: 'video/mp4', size: 10, sha256: 'ab', storageKey: 'originals/a', createdAt: new Date(0) });
    files.remember(entry('b'));
    files.get('a'); // a is now the most recently used
    files.remember(entry('c'));
    expect(files.size).toBe(2);
    expect(files.get('b')).toBeUndefined();
    expect(files.get('a')?.name).toBe('a.mp4');
    expect(files.get('c')?.name).toBe('c.mp4');
  });

  it('forgets a file moved, deleted or uploaded anew, and everything when a folder is deleted', () => {
    const files = new ReadyFiles();
    files.enabled = true;
    for (const id of ['a', 'b', 'c', 'd']) files.remember(entry(id));
    files.onEvent({ type: 'file.moved', subject: 'file:a' });
    files.onEvent({ type: 'file.deleted', subject: 'file:b' });
    files.onEvent({ type: 'upload.completed', subject: 'file:c' });
    files.onEvent({ type: 'media.ready', subject: 'file:d' });
    expect(['a', 'b', 'c', 'd'].map((id) => files.get(id) !== undefined)).toEqual([false, false, false, true]);
    files.onEvent({ type: 'file.moved', subject: 'folder:f' });
    expect(files.size).toBe(1);
    files.onEvent({ type: 'file.deleted', subject: 'folder:f' });
    expect(files.size).toBe(0);
  });

  it('remembers nothing while it cannot follow the event log', () => {
    const files = new ReadyFiles(); // off, as before the event feed is followed
    files.remember(entry('a'));
    expect(files.get('a')).toBeUndefined();
    expect(files.size).toBe(0);
  });
});
