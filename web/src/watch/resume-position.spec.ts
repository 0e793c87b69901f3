import { describe, expect, it } from 'vitest';
import { formatPosition, MAX_REMEMBERED, positionToResume, rememberPosition, worthResuming } from './resume-position';

/** TEST STAND-IN for the browser's localStorage (this spec runs in Node); the real one is used in ops/test/web-player.test.ts. */
class MemoryStorage implements Storage {
  private readonly items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  clear() {
    this.items.clear();
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

describe('resume positions', () => {
  it('offers where the viewer left off, per file', () => {
    const storage = new MemoryStorage();
    rememberPosition('a', 754.37, 3600, storage);
    rememberPosition('b', 12, 60, storage);
    expect(positionToResume('a', storage)).toBe(754.3);
    expect(positionToResume('b', storage)).toBe(12);
    expect(positionToResume('c', storage)).toBe(null);
  });

  it('forgets a position near the start or the end, as a finished or barely started video', () => {
    const storage = new MemoryStorage();
    rememberPosition('a', 30, 60, storage);
    rememberPosition('a', 58, 60, storage);
    expect(positionToResume('a', storage)).toBe(null);
    rememberPosition('a', 30, 60, storage);
    rememberPosition('a', 1, 60, storage);
    expect(positionToResume('a', storage)).toBe(null);
    // While the duration is not known yet (a growing ladder), any position past the start counts.
    expect(worthResuming(30, Number.NaN)).toBe(true);
  });

  it('keeps the newest positions only', () => {
    const storage = new MemoryStorage();
    for (let i = 0; i < MAX_REMEMBERED + 5; i++) rememberPosition(`f${i}`, 10, 60, storage);
    expect(storage.length).toBe(MAX_REMEMBERED);
  });

  it('ignores what it cannot read', () => {
    const storage = new MemoryStorage();
    storage.setItem('nebula:position:a', '{not json');
    storage.setItem('nebula:position:b', '{"seconds":"12"}');
    expect([positionToResume('a', storage), positionToResume('b', storage)]).toEqual([null, null]);
  });

  it('writes positions as people read them', () => {
    expect([0, 59.9, 754, 3723].map(formatPosition)).toEqual(['0:00', '0:59', '12:34', '1:02:03']);
  });
});
