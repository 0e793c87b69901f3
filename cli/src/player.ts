import { execFile, spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { basename, delimiter, join } from 'node:path';

/** The players `nebula play --open` knows, in the order it tries them. */
export const PLAYERS = ['mpv', 'vlc'] as const;

/** The first of `names` that is an executable file in one of PATH's folders, as a shell would find it. */
export async function findOnPath(names: readonly string[], path = process.env.PATH ?? ''): Promise<string | null> {
  const folders = path.split(delimiter).filter(Boolean);
  for (const name of names) {
    for (const folder of folders) {
      const candidate = join(folder, name);
      if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
    }
  }
  return null;
}

/** What to watch: the HLS master (null until the ladder is playable) and the original, served by byte range. */
export interface PlayableUrls {
  hls: string | null;
  original: string;
}

export interface PlayerLaunch {
  args: string[];
  url: string;
  source: 'hls' | 'original';
  /** Why the original is opened although the HLS stream is there. */
  reason?: string;
}

/**
 * FFmpeg's HLS demuxer cannot start or seek inside fMP4 segments before FFmpeg 8.0 (FFmpeg trac
 * ticket 7359, fixed by commit 380a518c in November 2024): `mpv --start`, a seek, and mpv's
 * watch-later resume end in "Errors when loading file", and `ffmpeg -ss` decodes nothing. The
 * playlists are not at fault (the same happens with any ffmpeg-made fMP4 HLS); mpv is FFmpeg's
 * HLS client. VLC has an HLS client of its own and seeks fine.
 */
export const FIRST_FFMPEG_THAT_SEEKS_FMP4_HLS = 8;

/**
 * The player's arguments: the HLS stream where the player can seek in it, else the original by
 * byte range (which every player seeks in), starting `startSeconds` in.
 */
export function playerLaunch(player: string, urls: PlayableUrls, startSeconds: number | null, mpvFfmpegMajor: number | null): PlayerLaunch {
  const isMpv = basename(player) === 'mpv';
  const start = startSeconds === null || startSeconds === 0 ? [] : isMpv ? [`--start=${startSeconds}`] : [`--start-time=${startSeconds}`];
  if (!urls.hls) return { args: [...start, urls.original], url: urls.original, source: 'original' };
  if (isMpv && (mpvFfmpegMajor === null || mpvFfmpegMajor < FIRST_FFMPEG_THAT_SEEKS_FMP4_HLS)) {
    const built = mpvFfmpegMajor === null ? 'an FFmpeg whose version it did not say' : `FFmpeg ${mpvFfmpegMajor}`;
    return {
      args: [...start, urls.original],
      url: urls.original,
      source: 'original',
      reason: `this mpv is built with ${built}, which cannot seek in fMP4 HLS (FFmpeg 8 can): the original seeks by byte range`,
    };
  }
  return { args: [...start, urls.hls], url: urls.hls, source: 'hls' };
}

/** The major version of the FFmpeg libraries mpv was built with, from `mpv --version` ("FFmpeg version: 5.1.6"). */
export function mpvFfmpegMajorOf(versionText: string): number | null {
  const match = /^FFmpeg version:\s*n?(\d+)\./m.exec(versionText);
  return match ? Number(match[1]) : null;
}

/** Asks an mpv binary for its FFmpeg version; null when it does not answer in time. */
export function mpvFfmpegMajor(mpv: string): Promise<number | null> {
  return new Promise((resolve) => {
    execFile(mpv, ['--version'], { timeout: 5000 }, (error, stdout) => resolve(error ? null : mpvFfmpegMajorOf(stdout)));
  });
}

/**
 * A start position as people write it: seconds ("90", "90.5"), "m:ss" or "h:mm:ss". Null for none.
 */
export function parseStartTime(text: string | undefined): number | null {
  if (text === undefined) return null;
  const match = /^(?:(?:(\d+):)?([0-5]?\d):)?(\d+(?:\.\d+)?)$/.exec(text.trim());
  const seconds = match ? Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3]) : Number.NaN;
  const colons = text.split(':').length - 1;
  if (!match || !Number.isFinite(seconds) || (colons > 0 && Number(match[3]) >= 60)) {
    throw new Error(`not a start time: "${text}" (seconds, m:ss or h:mm:ss, e.g. 90 or 1:30)`);
  }
  return seconds;
}

/**
 * Runs the player in the foreground with the terminal, like typing `mpv <url>`; resolves with its
 * exit code. Ctrl-C in the terminal reaches the player too: like a shell (or system(3)), nebula
 * lets the player decide and waits for it.
 */
export function runPlayer(player: string, args: string[]): Promise<number> {
  const wait = () => undefined;
  process.on('SIGINT', wait);
  return new Promise<number>((resolve, reject) => {
    const child = spawn(player, args, { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  }).finally(() => process.off('SIGINT', wait));
}

/**
 * Whether a player's exit code means something went wrong. mpv exits 4 when it was quit by a
 * signal or Ctrl+C in its window (mpv(1), EXIT CODES): the user closing it, not a failure.
 */
export function playerFailed(player: string, code: number): boolean {
  if (code === 0) return false;
  return !(basename(player) === 'mpv' && code === 4);
}
