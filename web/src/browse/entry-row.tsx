import { useState } from 'react';
import { posterUrl } from '../api';
import { formatBytes, formatDate, formatLength, formatPercent, KIND_LABEL, kindOf, mediaFacts, type Kind } from '../format';
import { Link } from '../link';
import { folderUrl, watchUrl } from '../routes';
import type { EntryDto } from '@nebula/contract';
import type { View } from './view-mode';

export type EntryAction = 'rename' | 'move' | 'delete' | 'discard';

/**
 * One entry of a folder: a row of the list, or a card of the poster grid (the same parts, laid out
 * by the stylesheet). `me` is the tailnet user looking (null: the single owner; undefined: not
 * known yet): only an upload's owner may discard it.
 */
export function EntryRow({
  entry,
  progress,
  me,
  view = 'list',
  onAction,
}: {
  entry: EntryDto;
  progress: number | undefined;
  me: string | null | undefined;
  view?: View;
  onAction: (action: EntryAction, entry: EntryDto) => void;
}) {
  const kind = kindOf(entry);
  const href = entry.kind === 'folder' ? folderUrl(entry.path) : watchUrl(entry.id);
  const unfinished = entry.status === 'uploading' ? entry.upload : null;
  // An unfinished upload (maybe left on another device) says how far it got, since when, and whose it is.
  const meta = (
    unfinished
      ? [KIND_LABEL[kind], unfinished.received === null ? `${formatBytes(entry.size)}, progress unknown` : `${formatBytes(unfinished.received)} of ${formatBytes(entry.size)}`, `started ${formatDate(entry.createdAt)}`, entry.owner ? `by ${entry.owner}` : '']
      : [KIND_LABEL[kind], ...mediaFacts(entry), formatBytes(entry.size), formatDate(entry.createdAt), entry.owner ? `by ${entry.owner}` : '']
  ).filter(Boolean);
  return (
    <li className="entry" data-entry={entry.name}>
      {view === 'grid' ? (
        // The name below is the link for keyboards and screen readers; the poster is one more place to click.
        <Link href={href} className="poster" tabIndex={-1} aria-hidden="true">
          <Thumbnail entry={entry} kind={kind} />
          {entry.media?.durationSeconds ? <span className="poster-length">{formatLength(entry.media.durationSeconds)}</span> : null}
        </Link>
      ) : (
        <Thumbnail entry={entry} kind={kind} />
      )}
      <div className="entry-main">
        <Link href={href} className="entry-name" title={entry.name}>
          {entry.name}
        </Link>
        <div className="entry-meta">
          {meta.map((part, i) => (
            <span key={i}>{part}</span>
          ))}
        </div>
        {entry.media?.status === 'failed' && entry.media.error && (
          <p className="entry-error" title={entry.media.error}>
            {entry.media.error}
          </p>
        )}
      </div>
      <div className="entry-side">
        <Status entry={entry} progress={progress} />
        <div className="entry-actions">
          <button type="button" className="small" onClick={() => onAction('rename', entry)} aria-label={`Rename ${entry.name}`}>
            Rename
          </button>
          <button type="button" className="small" onClick={() => onAction('move', entry)} aria-label={`Move ${entry.name}`}>
            Move
          </button>
          {unfinished ? (
            me !== undefined &&
            entry.owner === me && (
              <button type="button" className="small" onClick={() => onAction('discard', entry)} aria-label={`Discard the upload of ${entry.name}`}>
                Discard upload
              </button>
            )
          ) : (
            <button type="button" className="small" onClick={() => onAction('delete', entry)} aria-label={`Delete ${entry.name}`}>
              Delete
            </button>
          )}
        </div>
      </div>
    </li>
  );
}

export function Thumbnail({ entry, kind }: { entry: EntryDto; kind: Kind }) {
  const [failed, setFailed] = useState(false);
  // The poster is cut at the end of the pipeline: ask for it only once the file is ready.
  if (kind === 'video' && entry.media?.status === 'ready' && !failed) {
    return <img className="thumb" src={posterUrl(entry.id)} alt="" loading="lazy" decoding="async" onError={() => setFailed(true)} />;
  }
  return (
    <span className={`thumb thumb-${kind}`} aria-hidden="true">
      <KindIcon kind={kind} />
    </span>
  );
}

function KindIcon({ kind }: { kind: Kind }) {
  const paths: Record<Kind, string> = {
    folder: 'M3 6a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z',
    video: 'M4 5h11a2 2 0 0 1 2 2v2l4-3v12l-4-3v2a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2z',
    audio: 'M9 17V5l10-2v12M9 17a3 3 0 1 1-3-3 3 3 0 0 1 3 3zm10-2a3 3 0 1 1-3-3 3 3 0 0 1 3 3z',
    image: 'M4 4h16v16H4zM4 16l5-5 4 4 3-3 4 4M15 9a1.5 1.5 0 1 0 0-.01',
    document: 'M6 2h8l5 5v15H6zM14 2v5h5',
  };
  return (
    <svg viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinejoin="round" strokeLinecap="round">
      <path d={paths[kind]} />
    </svg>
  );
}

/** Where the file is in its life: still uploading, waiting for the worker, transcoding, ready, failed. */
export function Status({ entry, progress }: { entry: EntryDto; progress: number | undefined }) {
  if (entry.kind === 'folder') return <span className="status" />;
  if (entry.status === 'uploading') {
    const received = entry.upload?.received;
    return (
      <span className="status badge badge-busy" data-status="uploading">
        Uploading{received !== null && received !== undefined && entry.size ? ` ${formatPercent((received / entry.size) * 100)}` : ''}
      </span>
    );
  }
  const media = entry.media;
  if (!media || media.status === 'none') return <span className="status" data-status="none" />;
  switch (media.status) {
    case 'queued':
      return <span className="status badge badge-busy" data-status="queued">Queued</span>;
    case 'processing':
      return (
        <span className="status badge badge-busy" data-status="processing">
          Transcoding{progress !== undefined ? ` ${formatPercent(progress)}` : '…'}
        </span>
      );
    case 'ready':
      return <span className="status badge badge-ready" data-status="ready">Ready</span>;
    case 'failed':
      return (
        <span className="status badge badge-failed" data-status="failed">
          Failed
        </span>
      );
  }
}
