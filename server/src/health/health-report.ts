import { type HealthCheck, type HealthReport, type WorkerReport, type NodeAdvert } from '@nebula/contract';

export type CheckOutcome<T = void> = { ok: true; value: T } | { ok: false; error: string };

/** Turns what each probe found into the report; pure, so every combination is easy to test. */
export function buildHealthReport(input: {
  postgres: CheckOutcome;
  redis: CheckOutcome;
  storage: CheckOutcome & { driver: 'fs' | 's3'; endpoint?: string };
  worker: CheckOutcome<{ report: WorkerReport; latencyMs: number }>;
  nodes?: NodeAdvert[];
}): HealthReport {
  const simple = (o: CheckOutcome<unknown>): HealthCheck => (o.ok ? { state: 'ok' } : { state: 'down', detail: o.error });
  const worker = input.worker;
  const noWorker = 'unknown: no worker answered';
  const checks: HealthReport['checks'] = {
    postgres: simple(input.postgres),
    redis: simple(input.redis),
    storage: { ...simple(input.storage), driver: input.storage.driver, ...(input.storage.endpoint ? { endpoint: input.storage.endpoint } : {}) },
    worker: worker.ok
      ? { state: 'ok', workerId: worker.value.report.workerId, latencyMs: worker.value.latencyMs }
      : { state: 'down', detail: worker.error },
    ffmpeg: worker.ok
      ? {
          state: worker.value.report.ffmpeg.state,
          ...(worker.value.report.ffmpeg.version ? { version: worker.value.report.ffmpeg.version } : {}),
          ...(worker.value.report.ffmpeg.error ? { detail: worker.value.report.ffmpeg.error } : {}),
        }
      : { state: 'down', detail: noWorker },
    // Finding no GPU is a fact, not a fault: software encoding is the fallback. So hwaccel is
    // only down when no worker could tell us anything.
    hwaccel: worker.ok
      ? {
          state: 'ok',
          selected: worker.value.report.hwaccel.selected,
          devices: worker.value.report.hwaccel.devices,
          detail: worker.value.report.hwaccel.detail,
        }
      : { state: 'down', detail: noWorker },
  };
  if (worker.ok && worker.value.report.postgres === 'down') {
    checks.worker = { ...checks.worker, state: 'down', detail: 'the worker answered but cannot reach Postgres' };
  }
  const status = Object.values(checks).every((c) => c.state === 'ok') ? 'ok' : 'degraded';
  return { status, checks, nodes: input.nodes ?? [] };
}
