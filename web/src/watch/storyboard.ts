/**
 * Seek previews: the WebVTT track the worker writes beside the HLS master (Jellyfin's trickplay and
 * PeerTube's storyboards use the same form), one cue per thumbnail:
 *
 *   00:00:10.000 --> 00:00:20.000
 *   r1-software/storyboard/sprite_000.jpg#xywh=160,0,160,90
 */
export interface StoryboardTile {
  start: number;
  end: number;
  /** The sprite sheet, resolved against the track's own URL. */
  image: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

const CUE_TIMES = /^(\S+)\s+-->\s+(\S+)/;

/** The track's cues, in order; cues this cannot read are left out. */
export function parseStoryboard(vtt: string, trackUrl: string): StoryboardTile[] {
  const tiles: StoryboardTile[] = [];
  const lines = vtt.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const times = CUE_TIMES.exec(lines[i]!.trim());
    const payload = lines[i + 1]?.trim();
    if (!times || !payload) continue;
    const [start, end] = [seconds(times[1]!), seconds(times[2]!)];
    const hash = payload.lastIndexOf('#xywh=');
    const box = hash < 0 ? [] : payload.slice(hash + '#xywh='.length).split(',').map(Number);
    if (start === null || end === null || box.length !== 4 || box.some((n) => !Number.isFinite(n))) continue;
    const [x, y, width, height] = box as [number, number, number, number];
    tiles.push({ start, end, image: new URL(payload.slice(0, hash), new URL(trackUrl, 'http://relative.invalid')).href.replace(/^http:\/\/relative\.invalid/, ''), x, y, width, height });
  }
  return tiles;
}

/** The tile showing `time` (the last one past the end), or null when there are none. */
export function tileAt(tiles: readonly StoryboardTile[], time: number): StoryboardTile | null {
  if (tiles.length === 0) return null;
  let low = 0;
  let high = tiles.length - 1;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (tiles[mid]!.start <= time) low = mid;
    else high = mid - 1;
  }
  return tiles[low]!;
}

/** `hh:mm:ss.ttt` or `mm:ss.ttt` → seconds. */
function seconds(text: string): number | null {
  const parts = text.split(':').map(Number);
  if (parts.length < 2 || parts.length > 3 || parts.some((n) => !Number.isFinite(n))) return null;
  return parts.reduce((total, part) => total * 60 + part, 0);
}
