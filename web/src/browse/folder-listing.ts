import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError } from '../api';
import { subjectId, useNebulaEvents, useResync } from '../events';
import { parentOf } from '../routes';
import type { FolderListing, NebulaEvent } from '../shared';
import { uploads } from '../uploads/upload-store';

/** Events that change what a folder lists. media.progress only moves a percentage, kept apart. */
const LISTING_EVENTS = new Set(['upload.completed', 'upload.rejected', 'file.moved', 'file.deleted', 'folder.created', 'media.queued', 'media.started', 'media.playable', 'media.ready', 'media.failed']);
/** Events after which a file's last transcoding percentage no longer holds. */
const PROGRESS_ENDS = new Set(['media.queued', 'media.started', 'media.ready', 'media.failed', 'file.deleted']);

/**
 * Whether an event can change the listing of `folder`: it names a path in it (or the folder itself,
 * or a folder above it), or it is about an entry listed there. An event that names no path counts.
 */
function concerns(event: NebulaEvent, folder: string, listed: ReadonlySet<string>): boolean {
  if (listed.has(subjectId(event))) return true;
  const data = event.data as { path?: unknown; from?: unknown; to?: unknown };
  const paths = [data.path, data.from, data.to].filter((p): p is string => typeof p === 'string');
  if (paths.length === 0) return !event.type.startsWith('media.');
  return paths.some((p) => parentOf(p) === folder || p === folder || folder.startsWith(`${p}/`));
}

export interface FolderListingState {
  listing: FolderListing | null;
  /** Why the folder could not be shown; a failed refresh of a folder on screen is a `notice` instead. */
  error: ApiError | null;
  /** The last transcoding percentage of each file that is being transcoded. */
  progress: Record<string, number>;
  notice: string | null;
  setNotice: (notice: string | null) => void;
  load: () => Promise<void>;
}

/**
 * What a folder lists, kept current: loaded once, then refreshed by the events that concern it
 * (at most one refresh per 100 ms burst), by uploads landing in it, and after a reconnection.
 */
export function useFolderListing(path: string): FolderListingState {
  const [listing, setListing] = useState<FolderListing | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [progress, setProgress] = useState<Record<string, number>>({});
  const [notice, setNotice] = useState<string | null>(null);
  const refreshTimer = useRef<number | undefined>(undefined);
  const shown = useRef(false);

  // Loads overlap when events come quickly: only the newest request's answer is shown.
  const latestLoad = useRef(0);
  const load = useCallback(async () => {
    const request = ++latestLoad.current;
    try {
      const result = await api.list(path);
      if (request !== latestLoad.current) return;
      setListing(result);
      setError(null);
      shown.current = true;
    } catch (e) {
      if (request !== latestLoad.current) return;
      const failure = e instanceof ApiError ? e : new ApiError(0, 'unknown', String(e));
      // A refresh that fails keeps the list on screen; only a folder that is gone replaces it.
      if (shown.current && failure.status !== 404) setNotice(`Could not refresh this folder: ${failure.message}`);
      else setError(failure);
    }
  }, [path]);

  useEffect(() => {
    setListing(null);
    setError(null);
    shown.current = false;
    void load();
  }, [load]);

  // Several events often arrive together (upload.completed + media.queued): one refresh for all,
  // at most 100 ms after the first, however long a burst lasts.
  const refreshSoon = useCallback(() => {
    if (refreshTimer.current !== undefined) return;
    refreshTimer.current = window.setTimeout(() => {
      refreshTimer.current = undefined;
      void load();
    }, 100);
  }, [load]);
  useEffect(() => () => window.clearTimeout(refreshTimer.current), []);

  useEffect(() => {
    uploads.onLanded = (folder) => folder === path && refreshSoon();
    return () => {
      uploads.onLanded = undefined;
    };
  }, [path, refreshSoon]);

  const listed = useMemo(() => new Set(listing?.entries.map((e) => e.id)), [listing]);
  useNebulaEvents((event) => {
    const id = subjectId(event);
    if (event.type === 'media.progress') {
      const percent = Number((event.data as { percent?: unknown }).percent);
      if (!listed.has(id) || !Number.isFinite(percent)) return;
      setProgress((p) => ({ ...p, [id]: percent }));
      // A file that was queued when the page loaded is now processing: show it.
      if (listing?.entries.some((e) => e.id === id && e.media?.status !== 'processing')) refreshSoon();
      return;
    }
    if (PROGRESS_ENDS.has(event.type)) {
      setProgress((p) => {
        if (!(id in p)) return p;
        const { [id]: _ended, ...rest } = p;
        return rest;
      });
    }
    if (LISTING_EVENTS.has(event.type) && concerns(event, path, listed)) refreshSoon();
  });
  useResync(refreshSoon);

  return { listing, error, progress, notice, setNotice, load };
}
