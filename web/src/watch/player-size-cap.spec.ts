import { describe, expect, it } from 'vitest';
import { largestRungInside } from './player-size-cap';

// The ladder of a 4K source, as hls.js lists it: lowest bit rate first.
const ladder = [
  { width: 640, height: 360 },
  { width: 854, height: 480 },
  { width: 1280, height: 720 },
  { width: 1920, height: 1080 },
  { width: 2560, height: 1440 },
  { width: 3840, height: 2160 },
];

describe('the highest rung Auto may play in a player of a given size', () => {
  it('takes the largest picture inside the player, never one larger', () => {
    // A phone: a 360 CSS px player at twice the pixels is 720×405: 480p (854 wide) would not fit.
    expect(ladder[largestRungInside(ladder, 720, 405)]).toEqual({ width: 640, height: 360 });
    // A desktop player of 1140×641 CSS px at 1×: 720p is 1280 wide.
    expect(ladder[largestRungInside(ladder, 1140, 641)]).toEqual({ width: 854, height: 480 });
    // The same on a 2× screen, and a 4K TV.
    expect(ladder[largestRungInside(ladder, 2280, 1282)]).toEqual({ width: 1920, height: 1080 });
    expect(ladder[largestRungInside(ladder, 3840, 2160)]).toEqual({ width: 3840, height: 2160 });
  });

  it('takes the smallest rung when none fits, and none above the ceiling it is given', () => {
    expect(largestRungInside(ladder, 320, 180)).toBe(0);
    expect(largestRungInside(ladder, 3840, 2160, 2)).toBe(2);
  });

  it('holds the picture inside by both sides: a portrait video in a wide player', () => {
    const portrait = [
      { width: 360, height: 640 },
      { width: 720, height: 1280 },
      { width: 1080, height: 1920 },
    ];
    expect(largestRungInside(portrait, 1280, 720)).toBe(0);
    expect(largestRungInside(portrait, 1440, 2560)).toBe(2);
  });

  it('prefers the higher bit rate of two rungs the same size', () => {
    const twins = [
      { width: 1280, height: 720 },
      { width: 1280, height: 720 },
      { width: 1920, height: 1080 },
    ];
    expect(largestRungInside(twins, 1500, 900)).toBe(1);
  });
});
