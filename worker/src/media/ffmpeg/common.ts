/**
 * What every ffmpeg argument list of the pipeline shares. Written for ffmpeg 5.1 (Debian 12);
 * every list is the argv without the binary.
 */
import type { MediaProbe, VideoProbe } from '../probe';

export type EncoderKind = 'software' | 'vaapi' | 'qsv';

export const DEFAULT_RENDER_NODE = '/dev/dri/renderD128';

/** Quiet except for errors (their text becomes the step's error). */
export const COMMON_ARGS = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'];
/** Progress as key=value on stdout. */
export const PROGRESS_ARGS = ['-progress', 'pipe:1', '-nostats'];

export function kbps(bps: number): string {
  return `${Math.round(bps / 1000)}k`;
}

export function requireVideo(probe: MediaProbe): VideoProbe {
  if (!probe.video) throw new Error('an HLS ladder needs a video stream: audio-only files are served as they are');
  return probe.video;
}

export function describeSource(probe: MediaProbe): string {
  const video = probe.video;
  return video ? [video.codec, video.hdr ? `HDR ${video.hdr.toUpperCase()}` : null].filter(Boolean).join(', ') : 'no video';
}
