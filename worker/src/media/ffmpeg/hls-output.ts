/** How a ladder is written as fMP4 HLS: the muxer's options and the keyframe schedule that cuts the segments. */
import { hlsLayout } from '../hls-playlists';
import type { Ladder } from '../ladder';

/**
 * The first segment is short, so a player can start about a second of encoding after the job
 * begins instead of a whole segment (on 2 cores a 4K ladder encodes far slower than real time).
 * The HLS muxer cuts the n-th segment at the first keyframe at or after n × hls_init_time (with an
 * unbounded playlist it never switches to hls_time), so the keyframes alone decide the lengths:
 * 0, then FIRST_SEGMENT_SECONDS, then every segmentSeconds after it — 1 s, 4 s, 4 s, ...
 */
export const FIRST_SEGMENT_SECONDS = 1;

/** Keyframes at 0, FIRST_SEGMENT_SECONDS, and every segment length after it, whatever the frame rate. */
export function forceKeyFrames(segmentSeconds: number): string {
  if (segmentSeconds <= FIRST_SEGMENT_SECONDS) return `expr:gte(t,n_forced*${segmentSeconds})`;
  // n=0 → 0; n≥1 → FIRST + (n-1)·segment, written so that it needs no if().
  return `expr:gte(t,max(n_forced*${segmentSeconds}-${segmentSeconds - FIRST_SEGMENT_SECONDS},n_forced*${FIRST_SEGMENT_SECONDS}))`;
}

/** The HLS muxer's options: one folder per rung under `dir`, fMP4 segments, a master playlist. */
export function hlsMuxerArgs(dir: string, ladder: Ladder): string[] {
  const withAudio = ladder.audio.mode !== 'none';
  const streamMap = ladder.rungs.map((rung, i) => (withAudio ? `v:${i},a:${i},name:${rung.name}` : `v:${i},name:${rung.name}`)).join(' ');
  return [
    '-f',
    'hls',
    '-hls_time',
    String(ladder.segmentSeconds),
    // With the keyframes of forceKeyFrames: a short first segment, then segmentSeconds.
    ...(ladder.segmentSeconds > FIRST_SEGMENT_SECONDS ? ['-hls_init_time', String(FIRST_SEGMENT_SECONDS)] : []),
    // EVENT while encoding: players may start early and keep polling; finalizeVariantPlaylist ends it.
    '-hls_playlist_type',
    'event',
    '-hls_list_size',
    '0',
    '-hls_segment_type',
    'fmp4',
    // %v is the rung's name, and the init file sits beside the segments in the rung's folder.
    // ffmpeg 5.1 leaves %v as is in the init file's name when there is only one variant stream
    // (it does expand it in folders and playlists), so a one-rung ladder names it outright.
    '-hls_fmp4_init_filename',
    ladder.rungs.length === 1 ? `init_${ladder.rungs[0]!.name}.mp4` : 'init_%v.mp4',
    '-hls_segment_filename',
    `${dir}/%v/seg_%05d.m4s`,
    // temp_file: a segment appears under its name only once complete, for the publisher watching the folder.
    '-hls_flags',
    'independent_segments+temp_file',
    '-master_pl_name',
    hlsLayout.master,
    '-var_stream_map',
    streamMap,
    `${dir}/${hlsLayout.variantPlaylist('%v')}`,
  ];
}
