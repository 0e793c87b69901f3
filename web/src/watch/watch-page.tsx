import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, contentUrl, downloadUrl } from '../api';
import { Breadcrumbs } from '../browse/breadcrumbs';
import { Status } from '../browse/entry-row';
import { useNebulaEvents, useResync } from '../events';
import { formatBytes, formatDate, formatPercent, KIND_LABEL, kindOf } from '../format';
import { Link } from '../link';
import { folderUrl, navigate, useTitle } from '../routes';
import { parentOf, subjectId, type EntryDto, type MediaDetails } from '@nebula/contract';
import { ladderReach } from './ladder-reach';
import { VideoPlayer } from './video-player';
import { ErrorState } from '../error-state';

export function WatchPage({ id }: { id: string }) {
  const [entry, setEntry] = useState<EntryDto | null>(null);
  const [media, setMedia] = useState<MediaDetails | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [deleted, setDeleted] = useState(false);
  const [progress, setProgress] = useState<number | undefined>(undefined);
  const [playRequests, setPlayRequests] = useState(0);
  useTitle(entry?.name ?? '');

  const load = useCallback(async () => {
    try {
      const file = await api.entry(id);
      // A folder's id (an old link, a hand-made URL): show the folder.
      if (file.kind === 'folder') return navigate(folderUrl(file.path), { replace: true });
      // Both at once: the player picks its source (ladder or original) from the media state.
      const details = file.kind === 'file' && file.status === 'ready' ? await api.media(id) : null;
      setEntry(file);
      setMedia(details);
      setError(null);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'unknown', String(e)));
    }
  }, [id]);

  useEffect(() => {
    setEntry(null);
    setMedia(null);
    setDeleted(false);
    setProgress(undefined);
    void load();
  }, [load]);

  useNebulaEvents((event) => {
    if (subjectId(event.subject) !== id) return;
    if (event.type === 'media.progress') {
      setProgress(event.data.percent);
      if (entry?.media?.status !== 'processing') void load();
      return;
    }
    if (event.type === 'file.deleted') {
      setDeleted(true);
      return;
    }
    void load();
  });
  useResync(() => void load());

  if (error) {
    return (
      <main className="page">
        {error.status === 404 ? (
          <ErrorState title="This file does not exist" message="It may have been deleted. Its link no longer leads anywhere.">
            <p>
              <Link href="/">Go to All files</Link>
            </p>
          </ErrorState>
        ) : (
          <ErrorState title="This file could not be loaded" message={error.message} onRetry={() => void load()} />
        )}
      </main>
    );
  }
  if (!entry) return <main className="page state muted">Loading…</main>;

  const kind = kindOf(entry);
  const folder = parentOf(entry.path);
  const mediaState = media?.status ?? entry.media?.status ?? 'none';
  return (
    <main className="page watch-page">
      <Breadcrumbs path={folder} current={false} />
      <div className="toolbar">
        <h1 className="watch-title">{entry.name}</h1>
        <div className="toolbar-actions">
          {entry.status === 'ready' && kind === 'video' && (
            <button type="button" className="primary" onClick={() => setPlayRequests((n) => n + 1)}>
              Play
            </button>
          )}
          {entry.status === 'ready' && (
            <a className={kind === 'video' ? 'button' : 'button primary'} href={downloadUrl(entry.id)} download={entry.name}>
              Download original
            </a>
          )}
          <Link className="button" href={folderUrl(folder)}>
            Back to folder
          </Link>
        </div>
      </div>

      {deleted && (
        <p className="error" role="alert">
          This file was just deleted. <Link href={folderUrl(folder)}>Back to the folder</Link>
        </p>
      )}

      {entry.status !== 'ready' ? (
        <div className="state">
          <h2>Still uploading</h2>
          <p>This page starts playing as soon as the upload is complete.</p>
        </div>
      ) : kind === 'video' ? (
        <VideoPlayer
          key={entry.id}
          fileId={entry.id}
          name={entry.name}
          hls={media?.hls ?? null}
          poster={media?.poster ?? null}
          storyboard={media?.storyboard ?? null}
          playRequests={playRequests}
          ladderMade={ladderReach(mediaState, progress, entry.media?.durationSeconds)}
        />
      ) : kind === 'audio' ? (
        <audio className="audio" controls preload="metadata" src={contentUrl(entry.id)} aria-label={`Audio: ${entry.name}`} />
      ) : kind === 'image' ? (
        <img className="image" src={contentUrl(entry.id)} alt={entry.name} />
      ) : (
        <div className="state">
          <p>There is no preview for this kind of file. Download it to open it.</p>
        </div>
      )}

      <dl className="details">
        <dt>Kind</dt>
        <dd>{KIND_LABEL[kind]}{entry.mime ? ` (${entry.mime})` : ''}</dd>
        <dt>Size</dt>
        <dd>{formatBytes(entry.size)}</dd>
        <dt>Added</dt>
        <dd>{formatDate(entry.createdAt)}</dd>
        {entry.owner && (
          <>
            <dt>Uploaded by</dt>
            <dd>{entry.owner}</dd>
          </>
        )}
        {kind === 'video' && (
          <>
            <dt>Stream</dt>
            <dd className="stream-state">
              <Status entry={{ ...entry, media: { status: mediaState, error: media?.error ?? entry.media?.error ?? null } }} progress={progress} />
              {mediaState === 'processing' && progress !== undefined && <progress max={100} value={Math.floor(progress)} aria-label={`Transcoding ${formatPercent(progress)}`} />}
              <span className="muted">{streamNote(mediaState, media)}</span>
            </dd>
          </>
        )}
      </dl>
    </main>
  );
}

function streamNote(state: string, media: MediaDetails | null): string {
  switch (state) {
    case 'queued':
      return 'Waiting for the worker. The original plays meanwhile.';
    case 'processing':
      return media?.hls ? 'Being made; it plays already.' : 'Being made; it plays as soon as the first segments exist. The original plays meanwhile.';
    case 'ready':
      return 'Adaptive stream ready.';
    case 'failed':
      return `Transcoding failed: ${media?.error ?? 'see the server log'}. The original stays downloadable.`;
    default:
      return 'No adaptive stream: the original plays.';
  }
}
