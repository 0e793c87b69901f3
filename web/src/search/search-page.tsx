import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../api';
import { Status, Thumbnail } from '../browse/entry-row';
import { formatBytes, formatDate, KIND_LABEL, kindOf, mediaFacts } from '../format';
import { Link } from '../link';
import { folderUrl, useTitle, watchUrl } from '../routes';
import { parentOf, type EntryDto, type SearchResults } from '@nebula/contract';
import { ErrorState } from '../error-state';

/** What a search found in every folder, best first, each with the folder it is in; more on demand. */
export function SearchPage({ q }: { q: string }) {
  const [results, setResults] = useState<SearchResults | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const words = q.trim();
  useTitle(words ? `Search: ${words}` : 'Search');

  const load = useCallback(async () => {
    if (!words) return;
    try {
      setResults(await api.search(words));
      setError(null);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  }, [words]);
  useEffect(() => void load(), [load]);

  // Focus moves to the first result "Show more" brought: the button may go (last page), and a
  // keyboard or screen-reader user goes on reading where the new results start.
  const list = useRef<HTMLUListElement>(null);
  const firstNew = useRef<number | null>(null);
  useEffect(() => {
    if (firstNew.current === null) return;
    list.current?.querySelectorAll<HTMLAnchorElement>('.entry-name')[firstNew.current]?.focus();
    firstNew.current = null;
  }, [results]);

  const more = async () => {
    if (results?.nextOffset == null || loadingMore) return;
    setLoadingMore(true);
    try {
      const next = await api.search(words, results.nextOffset);
      firstNew.current = results.entries.length;
      setResults({ ...next, entries: [...results.entries, ...next.entries] });
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setLoadingMore(false);
    }
  };

  return (
    <main className="page">
      <div className="toolbar">
        <h1>{words ? `Results for “${words}”` : 'Search'}</h1>
      </div>
      <p className="notice" role="status" aria-live="polite">
        {results ? (results.total === 0 ? 'Nothing found.' : `${results.total} found${results.total > results.entries.length ? `, ${results.entries.length} shown` : ''}.`) : ''}
      </p>
      {!words ? (
        <div className="state state-empty">
          <h2>Search every folder by name</h2>
          <p>Type part of a name in the search box: case and accents do not matter.</p>
        </div>
      ) : error ? (
        <ErrorState title="The search failed" message={error} onRetry={() => void load()} />
      ) : results === null ? (
        <p className="state muted">Searching…</p>
      ) : results.total === 0 ? (
        <div className="state state-empty">
          <h2>No name holds “{words}”</h2>
          <p>Try a shorter part of the name.</p>
        </div>
      ) : (
        <>
          <ul ref={list} className="entries" aria-label={`Results for ${words}`}>
            {results.entries.map((entry) => (
              <SearchResult key={entry.id} entry={entry} />
            ))}
          </ul>
          {results.nextOffset !== null && (
            <button type="button" className="more-results" onClick={() => void more()} aria-disabled={loadingMore}>
              {loadingMore ? 'Loading…' : 'Show more results'}
            </button>
          )}
        </>
      )}
    </main>
  );
}

function SearchResult({ entry }: { entry: EntryDto }) {
  const kind = kindOf(entry);
  const folder = parentOf(entry.path);
  const meta = [KIND_LABEL[kind], ...mediaFacts(entry), formatBytes(entry.size), formatDate(entry.createdAt)].filter(Boolean);
  return (
    <li className="entry" data-entry={entry.name}>
      <Thumbnail entry={entry} kind={kind} />
      <div className="entry-main">
        <Link href={entry.kind === 'folder' ? folderUrl(entry.path) : watchUrl(entry.id)} className="entry-name" title={entry.path}>
          {entry.name}
        </Link>
        <div className="result-folder">
          in <Link href={folderUrl(folder)}>{folder === '/' ? 'All files' : folder}</Link>
        </div>
        <div className="entry-meta">
          {meta.map((part, i) => (
            <span key={i}>{part}</span>
          ))}
        </div>
      </div>
      <div className="entry-side">
        <Status entry={entry} progress={undefined} />
      </div>
    </li>
  );
}
