/**
 * How far ahead of the viewer the ladder must be made before the player moves to it from the
 * original: the segment ffmpeg is still writing (up to 4 s, not yet published) and one to play into.
 * Moving sooner stalls the picture until the worker catches up, minutes on a long video.
 */
export const LADDER_LEAD_SECONDS = 8;

/**
 * How far into the video the ladder has been made, in seconds: all of it once the media is ready;
 * while it is being made, the worker's progress (ffmpeg's output time, as a percent of the length);
 * 0 when neither is known yet.
 */
export function ladderReach(status: string, progressPercent: number | undefined, durationSeconds: number | null | undefined): number {
  if (status === 'ready') return Infinity;
  if (progressPercent === undefined || !durationSeconds) return 0;
  return (progressPercent / 100) * durationSeconds;
}

/** Whether the ladder can take over at `position` (seconds into the video) without the picture waiting for it. */
export function ladderCovers(reach: number, position: number): boolean {
  return reach === Infinity || reach >= position + LADDER_LEAD_SECONDS;
}
