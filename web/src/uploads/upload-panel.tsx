import { useSyncExternalStore } from 'react';
import { formatBytes, formatPercent } from '../format';
import { Link } from '../link';
import { folderUrl, watchUrl } from '../routes';
import { uploads, type UploadItem } from './upload-store';

const PHASE_LABEL: Record<UploadItem['phase'], string> = {
  waiting: 'Waiting',
  hashing: 'Checking',
  uploading: 'Uploading',
  done: 'Uploaded',
  skipped: 'Skipped',
  stopped: 'Stopped',
  failed: 'Failed',
};

/** Every upload of this tab, with a progress bar each; stays on screen while the user browses. */
export function UploadPanel() {
  const items = useSyncExternalStore(uploads.subscribe, uploads.getSnapshot);
  if (items.length === 0) return null;
  const active = items.filter((item) => ['waiting', 'hashing', 'uploading'].includes(item.phase)).length;
  const finished = items.some((item) => item.phase === 'done' || item.phase === 'skipped');
  return (
    <section className="uploads" aria-labelledby="uploads-title">
      <header className="uploads-header">
        <h2 id="uploads-title">{active > 0 ? `Uploading ${active} of ${items.length}` : 'Uploads'}</h2>
        {finished && (
          <button type="button" className="small" onClick={() => uploads.clearFinished()}>
            Clear finished
          </button>
        )}
      </header>
      <ul className="upload-list">
        {items.map((item) => (
          <UploadRow key={item.key} item={item} />
        ))}
      </ul>
    </section>
  );
}

function UploadRow({ item }: { item: UploadItem }) {
  const percent = item.size === 0 ? 100 : (item.bytes / item.size) * 100;
  const showBar = item.phase === 'hashing' || item.phase === 'uploading' || item.phase === 'done';
  const detail =
    item.phase === 'hashing'
      ? `Computing sha256 ${formatPercent(percent)}`
      : item.phase === 'uploading'
        ? `${formatBytes(item.bytes)} of ${formatBytes(item.size)} (${formatPercent(percent)})${item.resumedFrom > 0 ? `, resumed at ${formatBytes(item.resumedFrom)}` : ''}`
        : item.phase === 'done'
          ? `${formatBytes(item.size)} to ${item.folder}${item.resumedFrom > 0 ? `, resumed at ${formatBytes(item.resumedFrom)}` : ''}`
          : (item.message ?? formatBytes(item.size));
  return (
    <li className={`upload upload-${item.phase}`} data-upload={item.name}>
      <div className="upload-line">
        <span className="upload-name" title={item.name}>
          {item.fileId && (item.phase === 'done' || item.phase === 'skipped') ? <Link href={watchUrl(item.fileId)}>{item.name}</Link> : item.name}
        </span>
        <span className="upload-phase">{PHASE_LABEL[item.phase]}</span>
      </div>
      {showBar && (
        <progress max={100} value={Math.floor(percent)} aria-label={`${item.name}: ${PHASE_LABEL[item.phase]} ${formatPercent(percent)}`}>
          {formatPercent(percent)}
        </progress>
      )}
      <div className="upload-line">
        <span className="upload-detail" role={item.phase === 'failed' ? 'alert' : undefined}>
          {detail}
          {item.phase === 'skipped' && (
            <>
              {' '}
              <Link href={folderUrl(item.folder)}>Show folder</Link>
            </>
          )}
        </span>
        {(item.phase === 'waiting' || item.phase === 'hashing' || item.phase === 'uploading') && (
          <button type="button" className="small" onClick={() => uploads.stop(item.key)} aria-label={`Stop uploading ${item.name}`}>
            Stop
          </button>
        )}
        {(item.phase === 'stopped' || item.phase === 'failed') && (
          <button type="button" className="small" onClick={() => uploads.retry(item.key)} aria-label={`Retry ${item.name}`}>
            Retry
          </button>
        )}
      </div>
    </li>
  );
}
