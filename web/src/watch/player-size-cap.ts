import type Hls from 'hls.js';
import type { CapLevelController } from 'hls.js';

/** A rung's picture, as hls.js lists its levels (in order of bit rate, lowest first). */
export interface RungSize {
  width: number;
  height: number;
}

/**
 * The highest rung Auto may play in a player `width` × `height` device pixels large (its box times
 * the device pixel ratio): the largest picture that fits inside it, never a larger one; when none
 * fits (a thumbnail-sized player), the smallest. Rungs above `ceiling` (an index) are not taken.
 * Of rungs the same size, the one with the higher bit rate.
 */
export function largestRungInside(levels: readonly RungSize[], width: number, height: number, ceiling = levels.length - 1): number {
  const last = Math.min(ceiling, levels.length - 1);
  let best = -1;
  let smallest = -1;
  for (let i = 0; i <= last; i++) {
    const level = levels[i]!;
    if (smallest < 0 || level.height < levels[smallest]!.height) smallest = i;
    if (level.width <= width && level.height <= height && (best < 0 || level.height >= levels[best]!.height)) best = i;
  }
  return best >= 0 ? best : smallest;
}

/**
 * hls.js's own size cap (capLevelToPlayerSize) takes the smallest rung that covers the player, which
 * is most often one larger than the player: 854×480 for a phone's player 720 device pixels wide.
 * This one keeps hls.js's watching of the player's size and pixel ratio and takes the largest rung
 * inside it instead (largestRungInside), so Auto never plays a picture larger than the player shows.
 * Use with `capLevelToPlayerSize: true` and `capLevelController: playerSizeCap(Hls.DefaultConfig.capLevelController)`.
 */
export function playerSizeCap(Base: typeof CapLevelController): typeof CapLevelController {
  return class PlayerSizeCap extends Base {
    private readonly player: Hls;

    constructor(hls: Hls) {
      super(hls);
      this.player = hls;
    }

    override getMaxLevel(capLevelIndex: number): number {
      // -1 once the player is destroyed or before it has levels; the base class also keeps its
      // bookkeeping of the player's measured size there.
      if (super.getMaxLevel(capLevelIndex) < 0) return -1;
      return largestRungInside(this.player.levels, this.mediaWidth, this.mediaHeight, capLevelIndex);
    }
  };
}
