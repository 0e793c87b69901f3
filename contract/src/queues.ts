/** Queue names and job payloads: the contract between the gateway (producer) and the worker (consumer). */

/** Short jobs that must answer quickly even while a transcode runs: health pings. */
export const SYSTEM_QUEUE = 'system';
/** Transcodes and other media work. */
export const MEDIA_QUEUE = 'media';

export const PING_JOB = 'ping';

export interface PingJob {
  /** When the gateway asked, ISO 8601; lets the worker's answer show the queue's latency. */
  requestedAt: string;
}

export type DependencyState = 'ok' | 'down';

/** What a worker reports about itself when it answers a ping. */
export interface WorkerReport {
  workerId: string;
  postgres: DependencyState;
  ffmpeg: { state: DependencyState; version?: string; error?: string };
  hwaccel: HwaccelReport;
}

export interface HwaccelReport {
  /** What NEBULA_HWACCEL asked for. */
  requested: 'auto' | 'vaapi' | 'qsv' | 'software';
  /** Render nodes found under /dev/dri (none on a machine without a GPU). */
  devices: string[];
  /** What encodes will use. `software` when no usable device was found. */
  selected: 'vaapi' | 'qsv' | 'software';
  detail: string;
}
