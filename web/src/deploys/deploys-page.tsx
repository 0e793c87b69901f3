import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from '../api';
import { useNebulaEvents } from '../events';
import { formatDate } from '../format';
import { useTitle } from '../routes';
import { API_ROUTES, type DeployRecord } from '@nebula/contract';
import { ErrorState } from '../error-state';

const RESULT_LABEL: Record<DeployRecord['result'], string> = { success: 'Deployed', rolled_back: 'Rolled back', failed: 'Failed' };

/** What `git push server main` did, newest first: the record the post-receive hook keeps. */
export function DeploysPage() {
  const [deploys, setDeploys] = useState<DeployRecord[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useTitle('Deploys');

  const load = useCallback(async () => {
    try {
      setDeploys(await api.deploys());
      setError(null);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  }, []);
  useEffect(() => void load(), [load]);
  useNebulaEvents((event) => {
    if (event.type === 'deploy.finished') void load();
  });

  return (
    <main className="page">
      <div className="toolbar">
        <h1>Deploys</h1>
      </div>
      {error ? (
        <ErrorState title="The deploy history could not be loaded" message={error} onRetry={() => void load()} />
      ) : deploys === null ? (
        <p className="state muted">Loading…</p>
      ) : deploys.length === 0 ? (
        <div className="state state-empty">
          <h2>No deploys yet</h2>
          <p>Deploys appear here once the server runs from a git push (see hooks/README.md): git push server main.</p>
        </div>
      ) : (
        <ul className="entries deploys" aria-label="Deploys, newest first">
          {deploys.map((deploy) => (
            <li key={deploy.id} className="entry deploy" data-deploy={deploy.id}>
              <span className={`status badge ${deploy.result === 'success' ? 'badge-ready' : 'badge-failed'}`}>{RESULT_LABEL[deploy.result]}</span>
              <div className="entry-main">
                <span className="entry-name" title={deploy.subject}>
                  {deploy.subject || deploy.commit.slice(0, 7)}
                </span>
                <div className="entry-meta">
                  <span>{deploy.kind === 'rollback' ? 'Rollback' : 'Push'}</span>
                  <code>{deploy.commit.slice(0, 7)}</code>
                  <span>{formatDate(deploy.startedAt)}</span>
                  <span>{Math.round(deploy.durationMs / 1000)} s</span>
                </div>
                {deploy.reason && <p className="error deploy-reason">{deploy.reason}</p>}
              </div>
              <a className="button small" href={API_ROUTES.deployLog(deploy.id)} aria-label={`Log of the deploy of ${deploy.commit.slice(0, 7)}`}>
                Log
              </a>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
