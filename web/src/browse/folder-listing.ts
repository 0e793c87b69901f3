import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../api';
import { useNebulaEvents, useResync } from '../events';
import { subjectId, type FolderListing } from '@nebula/contract';
import { uploads } from '../uploads/upload-store';
import { listingImpact, PROGRESS_ENDS } from './listing-events';

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
  // Requests sent and not answered yet, and whether an event arrived meanwhile that their answer may
  // predate (listingImpact's `after-load`). The ids listed are kept here too, as of the newest
  // answer: an event handled before React renders that answer must already see them.
  const inFlight = useRef(0);
  const loadAgain = useRef(false);
  const listedIds = useRef<ReadonlySet<string>>(new Set());
  const load = useCallback(async () => {
    const request = ++latestLoad.current;
    inFlight.current++;
    try {
      const result = await api.list(path);
      if (request !== latestLoad.current) return;
      listedIds.current = new Set(result.entries.map((e) => e.id));
      setListing(result);
      setError(null);
      shown.current = true;
    } catch (e) {
      if (request !== latestLoad.current) return;
      const failure = e instanceof ApiError ? e : new ApiError(0, 'unknown', String(e));
      // A refresh that fails keeps the list on screen; only a folder that is gone replaces it.
      if (shown.current && failure.status !== 404) setNotice(`Could not refresh this folder: ${failure.message}`);
      else setError(failure);
    } finally {
      inFlight.current--;
      if (inFlight.current === 0 && loadAgain.current) {
        loadAgain.current = false;
        refreshSoonRef.current();
      }
    }
  }, [path]);

  useEffect(() => {
    setListing(null);
    setError(null);
    shown.current = false;
    listedIds.current = new Set();
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
  const refreshSoonRef = useRef(refreshSoon);
  refreshSoonRef.current = refreshSoon;
  useEffect(() => () => window.clearTimeout(refreshTimer.current), []);

  useEffect(() => {
    uploads.onLanded = (folder) => folder === path && refreshSoon();
    return () => {
      uploads.onLanded = undefined;
    };
  }, [path, refreshSoon]);

  useNebulaEvents((event) => {
    const id = subjectId(event.subject) ?? '';
    if (event.type === 'media.progress') {
      const percent = event.data.percent;
      if (!listedIds.current.has(id)) return;
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
    const impact = listingImpact(event, path, listedIds.current, inFlight.current > 0);
    if (impact === 'refresh') refreshSoon();
    else if (impact === 'after-load') loadAgain.current = true;
  });
  useResync(refreshSoon);

  return { listing, error, progress, notice, setNotice, load };
}
