/** The media pipeline's contract between the gateway (producer) and the worker (consumer). */
import type { MediaState } from './api';

/** The job name on the `media` queue (MEDIA_QUEUE) that turns one original into an HLS ladder. */
export const TRANSCODE_JOB = 'transcode';

/**
 * Ids only: the worker reads the file's name and storage key from the database when the job runs,
 * so a file renamed or moved while its job waits is transcoded under what it is called then.
 */
export interface TranscodeJob {
  fileId: string;
  /** The request or event that caused this run, carried into every log line. */
  traceId?: string;
}

/** A file's place in the pipeline. The same states the API shows as `media.status`. */
export type MediaStatus = MediaState;

/** One progress report from a running transcode, from ffmpeg's `-progress` output. */
export interface TranscodeProgress {
  fileId: string;
  /** 0–100, from the output time against the source's duration. */
  percent: number;
  /** Frames encoded per second; null before ffmpeg knows. */
  fps: number | null;
  /** Encoding speed against real time (2 = twice as fast as playback); null before ffmpeg knows. */
  speed: number | null;
  etaSeconds: number | null;
  /** The rung being worked on, when a step encodes rungs one at a time. */
  rung?: string;
}

/**
 * One way of running a transcode. A job walks down a fallback order of these (hardware decode and
 * encode → software decode and hardware encode → software) and records the one that produced the
 * result.
 */
export type AccelPath = 'vaapi-hw-decode' | 'vaapi-sw-decode' | 'qsv-hw-decode' | 'qsv-sw-decode' | 'software';

export const ACCEL_PATHS: readonly AccelPath[] = ['vaapi-hw-decode', 'vaapi-sw-decode', 'qsv-hw-decode', 'qsv-sw-decode', 'software'];
