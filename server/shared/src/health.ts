import type { DependencyState } from './queues';

/** The body of GET /api/health. */
export interface HealthReport {
  status: 'ok' | 'degraded';
  checks: {
    postgres: HealthCheck;
    redis: HealthCheck;
    storage: HealthCheck & { driver: 'fs' | 's3' };
    worker: HealthCheck & { workerId?: string; latencyMs?: number };
    ffmpeg: HealthCheck & { version?: string };
    hwaccel: HealthCheck & { selected?: 'vaapi' | 'qsv' | 'software'; devices?: string[] };
  };
}

export interface HealthCheck {
  state: DependencyState;
  detail?: string;
}
