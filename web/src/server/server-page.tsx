import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from '../api';
import { formatDate } from '../format';
import { Link } from '../link';
import { useTitle } from '../routes';
import type { HealthReport, VersionDto } from '@nebula/contract';
import { healthSummary, PART_LABEL } from './server-facts';
import { ErrorState } from '../error-state';

/** The server's health, part by part, and what version runs: the details behind the Server menu. */
export function ServerPage() {
  const [health, setHealth] = useState<HealthReport | null>(null);
  const [version, setVersion] = useState<VersionDto | null>(null);
  const [error, setError] = useState<string | null>(null);
  useTitle('Server');

  const load = useCallback(async () => {
    try {
      const [report, running] = await Promise.all([api.health(), api.version()]);
      setHealth(report);
      setVersion(running);
      setError(null);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  }, []);
  useEffect(() => void load(), [load]);

  return (
    <main className="page">
      <div className="toolbar">
        <h1>Server</h1>
        <div className="toolbar-actions">
          <button type="button" onClick={() => void load()}>
            Check again
          </button>
          <Link href="/deploys" className="button">
            Deploy history
          </Link>
        </div>
      </div>
      {error ? (
        <ErrorState title="The server could not be asked" message={error} onRetry={() => void load()} />
      ) : !health || !version ? (
        <p className="state muted">Checking…</p>
      ) : (
        <>
          <h2 id="health">Health: {healthSummary(health)}</h2>
          <dl className="details health-list" aria-labelledby="health">
            {(Object.keys(health.checks) as (keyof HealthReport['checks'])[]).map((part) => {
              const check = health.checks[part];
              return (
                <div key={part} data-part={part}>
                  <dt>{PART_LABEL[part]}</dt>
                  <dd className={check.state === 'ok' ? 'state-ok' : 'state-down'}>{check.state === 'ok' ? 'OK' : 'Down'}</dd>
                  <dd className="muted">{partDetail(health, part)}</dd>
                </div>
              );
            })}
          </dl>
          <h2 id="version" className="section-title">
            Version
          </h2>
          <dl className="details" aria-labelledby="version">
            <dt>Nebula</dt>
            <dd>{version.version}</dd>
            <dt>Commit</dt>
            <dd>{version.commit ?? 'not known (not deployed by git push)'}</dd>
            {version.release && (
              <>
                <dt>Release</dt>
                <dd>{version.release}</dd>
              </>
            )}
            <dt>Running since</dt>
            <dd>{formatDate(version.startedAt)}</dd>
          </dl>
        </>
      )}
    </main>
  );
}

/** What the check adds beyond up or down: the reason, the driver, the ffmpeg version, the encoder. */
function partDetail(report: HealthReport, part: keyof HealthReport['checks']): string {
  const checks = report.checks;
  const extra =
    part === 'storage'
      ? checks.storage.driver === 's3'
        ? `S3${checks.storage.endpoint ? ` at ${checks.storage.endpoint}` : ''}`
        : 'files on disk'
      : part === 'ffmpeg'
        ? (checks.ffmpeg.version ?? '')
        : part === 'hwaccel'
          ? (checks.hwaccel.selected ?? '')
          : part === 'worker' && checks.worker.latencyMs !== undefined
            ? `answered in ${checks.worker.latencyMs} ms`
            : '';
  return [extra, checks[part].detail ?? ''].filter(Boolean).join(' · ');
}
