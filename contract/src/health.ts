import type { NodeAdvert } from './nodes';
import type { DependencyState } from './queues';

/** The body of GET /api/health. */
export interface HealthReport {
  status: 'ok' | 'degraded';
  checks: {
    postgres: HealthCheck;
    redis: HealthCheck;
    /** `endpoint`: the s3 driver's server (no credentials); the fs driver has none. */
    storage: HealthCheck & { driver: 'fs' | 's3'; endpoint?: string };
    worker: HealthCheck & { workerId?: string; latencyMs?: number };
    ffmpeg: HealthCheck & { version?: string };
    hwaccel: HealthCheck & { selected?: 'vaapi' | 'qsv' | 'software'; devices?: string[] };
  };
  /** Every worker node whose heartbeat is current (the node registry in Redis), by name. */
  nodes: NodeAdvert[];
}

export interface HealthCheck {
  state: DependencyState;
  detail?: string;
}
