/**
 * Seek previews: sprite sheets of small thumbnails and a WebVTT file that says which tile shows
 * which stretch of time (`sprite_000.jpg#xywh=160,0,160,90`), the format of Jellyfin's trickplay
 * and PeerTube's storyboards, which web players (video.js, Vidstack, Plyr, ours) read.
 */
import type { Ladder } from '../ladder';
import type { MediaProbe } from '../probe';
import { COMMON_ARGS, requireVideo } from './common';

export const STORYBOARD_TILE_WIDTH = 160;
/** 10 × 10 tiles a sheet, as Jellyfin: a 1600 px wide JPEG of about 100 KB per 100 thumbnails. */
export const STORYBOARD_COLUMNS = 10;
export const STORYBOARD_ROWS = 10;
/** At most 100 thumbnails over a short clip, one every 10 s beyond (Jellyfin's default interval). */
const MAX_INTERVAL_SECONDS = 10;
const TILES_FOR_SHORT_CLIPS = 100;

export interface Storyboard {
  /** Seconds between thumbnails. */
  intervalSeconds: number;
  tileWidth: number;
  tileHeight: number;
  /** Thumbnails over the whole video, and the sheets that hold them. */
  tiles: number;
  sheets: number;
  durationSeconds: number;
}

/** The sheets' names, in the folder the command writes to. */
export const storyboardSheet = (index: number) => `sprite_${String(index).padStart(3, '0')}.jpg`;

export function planStoryboard(probe: MediaProbe): Storyboard {
  const video = requireVideo(probe);
  const duration = probe.durationSeconds;
  const intervalSeconds = Math.min(MAX_INTERVAL_SECONDS, Math.max(1, Math.ceil(duration / TILES_FOR_SHORT_CLIPS)));
  const tileHeight = Math.max(2, Math.round((STORYBOARD_TILE_WIDTH * video.displayHeight) / video.displayWidth / 2) * 2);
  const tiles = Math.max(1, Math.ceil(duration / intervalSeconds));
  return { intervalSeconds, tileWidth: STORYBOARD_TILE_WIDTH, tileHeight, tiles, sheets: Math.ceil(tiles / (STORYBOARD_COLUMNS * STORYBOARD_ROWS)), durationSeconds: duration };
}

/** The smallest rung: already upright, SDR and small, so a full decode of it costs little. */
export function storyboardRung(ladder: Ladder): string {
  return [...ladder.rungs].sort((a, b) => a.width * a.height - b.width * b.height)[0]!.name;
}

/**
 * One frame every interval from a finished rung's playlist (read by ffmpeg's HLS demuxer from the
 * local folder), scaled and laid out in sheets; the tile filter writes the last, partial sheet at
 * the end, its empty tiles black.
 */
export function storyboardArgs(playlist: string, outputDir: string, board: Storyboard): string[] {
  return [
    ...COMMON_ARGS,
    '-i',
    playlist,
    '-an',
    '-vf',
    `fps=1/${board.intervalSeconds},scale=${board.tileWidth}:${board.tileHeight},tile=${STORYBOARD_COLUMNS}x${STORYBOARD_ROWS}`,
    '-q:v',
    '5',
    '-start_number',
    '0',
    `${outputDir.replace(/\/+$/, '')}/sprite_%03d.jpg`,
  ];
}

/** The WebVTT track: one cue per thumbnail, up to the end of the video; `sheetUrl` says where each sheet is, relative to the VTT. */
export function storyboardVtt(board: Storyboard, sheetUrl: (index: number) => string): string {
  const perSheet = STORYBOARD_COLUMNS * STORYBOARD_ROWS;
  const cues = Array.from({ length: board.tiles }, (_, i) => {
    const start = i * board.intervalSeconds;
    const end = Math.min((i + 1) * board.intervalSeconds, board.durationSeconds);
    const tile = i % perSheet;
    const x = (tile % STORYBOARD_COLUMNS) * board.tileWidth;
    const y = Math.floor(tile / STORYBOARD_COLUMNS) * board.tileHeight;
    return `${vttTime(start)} --> ${vttTime(end)}\n${sheetUrl(Math.floor(i / perSheet))}#xywh=${x},${y},${board.tileWidth},${board.tileHeight}`;
  });
  return `WEBVTT\n\n${cues.join('\n\n')}\n`;
}

function vttTime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}.${pad(ms % 1000, 3)}`;
}
