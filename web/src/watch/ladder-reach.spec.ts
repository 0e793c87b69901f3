import { describe, expect, it } from 'vitest';
import { ladderCovers, ladderReach } from './ladder-reach';

describe('when the player may move from the original to the ladder being made', () => {
  it('reads how far the ladder is made from the worker’s progress, and all of it once ready', () => {
    expect(ladderReach('processing', 40, 3600)).toBe(1440);
    expect(ladderReach('ready', undefined, 3600)).toBe(Infinity);
    expect(ladderReach('processing', undefined, 3600)).toBe(0);
    expect(ladderReach('processing', 50, null)).toBe(0);
  });

  it('waits until the ladder is two segments past where the viewer is: first segments at minute 10 of the original are no place to jump to', () => {
    // First segments only, the viewer 17 s in (what stalled the page in a loaded CI run).
    expect(ladderCovers(ladderReach('processing', 10, 45), 17.6)).toBe(false);
    expect(ladderCovers(ladderReach('processing', 60, 45), 17.6)).toBe(true);
    expect(ladderCovers(ladderReach('processing', 3, 3600), 600)).toBe(false);
    expect(ladderCovers(0, 0)).toBe(false);
    expect(ladderCovers(8, 0)).toBe(true);
    expect(ladderCovers(Infinity, 3599)).toBe(true);
  });
});
