import type { HealthReport, VersionDto } from '@nebula/contract';

/** The parts GET /api/health checks, in the words the page uses. */
export const PART_LABEL: Record<keyof HealthReport['checks'], string> = {
  postgres: 'Database (PostgreSQL)',
  redis: 'Queue (Redis)',
  storage: 'Object storage',
  worker: 'Worker',
  ffmpeg: 'ffmpeg',
  hwaccel: 'Hardware acceleration',
};

/** The parts that are not up, by name. */
export function partsDown(report: HealthReport): string[] {
  return (Object.keys(report.checks) as (keyof HealthReport['checks'])[]).filter((part) => report.checks[part].state !== 'ok').map((part) => PART_LABEL[part]);
}

/** "All parts OK", or which are not. */
export function healthSummary(report: HealthReport): string {
  const down = partsDown(report);
  if (report.status === 'ok' && down.length === 0) return 'All parts OK';
  return down.length === 0 ? 'Degraded' : `${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} not OK`;
}

/** "0.1.0 · c0ffee1", or "0.1.0" when no deploy named a commit. */
export function versionSummary(version: VersionDto): string {
  return version.commit ? `${version.version} · ${version.commit.slice(0, 7)}` : version.version;
}
