/** The poster image: which rung it is cut from, when, and the ffmpeg command that cuts it. */
import type { Ladder, Rung } from '../ladder';
import type { MediaProbe } from '../probe';
import { COMMON_ARGS, requireVideo } from './common';

/** A poster from a few seconds in (past a fade-in), but within the first third of a short clip. */
export function posterSeconds(durationSeconds: number): number {
  return Math.round(Math.min(3, durationSeconds / 3) * 1000) / 1000;
}

export const POSTER_MAX_WIDTH = 1280;

/** Where a poster is cut from: one segment of a finished rung with its init segment, and the time into that segment. */
export interface PosterSource {
  init: string;
  segment: string;
  offsetSeconds: number;
}

/** The poster's size: upright, at most 1280 wide, even. */
function posterSize(probe: MediaProbe): { width: number; height: number } {
  const video = requireVideo(probe);
  const width = Math.min(POSTER_MAX_WIDTH, Math.floor(video.displayWidth / 2) * 2);
  return { width, height: Math.max(2, Math.round((video.displayHeight * width) / video.displayWidth / 2) * 2) };
}

/**
 * The rung a poster is cut from: the smallest at least as wide as the poster, else the widest.
 * The rungs are upright, 8-bit SDR BT.709 already, so the poster is neither rotated nor tone-mapped
 * again, and a 1280 px JPEG does not cost a 4K (or 10-bit HEVC) decode.
 */
export function posterRung(ladder: Ladder, probe: MediaProbe): Rung {
  const { width } = posterSize(probe);
  const byWidth = [...ladder.rungs].sort((a, b) => a.width - b.width);
  return byWidth.find((rung) => rung.width >= width) ?? byWidth.at(-1)!;
}

/** One JPEG frame from a rung's fMP4 segment (read with its init segment through the concat protocol). */
export function posterArgs(source: PosterSource, output: string, probe: MediaProbe): string[] {
  const { width, height } = posterSize(probe);
  if (source.init.includes('|') || source.segment.includes('|')) throw new Error(`a poster source path cannot hold "|": ${source.init} ${source.segment}`);
  return [
    ...COMMON_ARGS,
    '-ss',
    String(source.offsetSeconds),
    '-i',
    `concat:${source.init}|${source.segment}`,
    '-frames:v',
    '1',
    '-vf',
    `scale=${width}:${height}`,
    '-q:v',
    '3',
    '-update',
    '1',
    output,
  ];
}
