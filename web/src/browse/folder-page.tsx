import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { api, ApiError } from '../api';
import { subjectId, useNebulaEvents, useResync } from '../events';
import { Link } from '../link';
import { formatDate } from '../format';
import { folderUrl, joinPath, parentOf, useTitle } from '../routes';
import type { EntryDto, FolderListing, NebulaEvent } from '../shared';
import { droppedEntries, filesIn, type FileToUpload } from '../uploads/dropped-files';
import { uploads } from '../uploads/upload-store';
import { Breadcrumbs } from './breadcrumbs';
import { ConfirmDialog, MoveDialog, PromptDialog } from './dialogs';
import { EntryRow, type EntryAction } from './entry-row';

type SortKey = 'name' | 'date' | 'size';
interface Sort {
  key: SortKey;
  descending: boolean;
}

type Dialog = { kind: 'new-folder' } | { kind: EntryAction; entry: EntryDto } | null;

const SORT_STORAGE = 'nebula.sort';
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function loadSort(): Sort {
  try {
    const saved = JSON.parse(localStorage.getItem(SORT_STORAGE) ?? '') as Sort;
    if (['name', 'date', 'size'].includes(saved.key)) return { key: saved.key, descending: Boolean(saved.descending) };
  } catch {
    // Nothing saved yet.
  }
  return { key: 'name', descending: false };
}

/** Folders first, then by the chosen key. */
function sortEntries(entries: EntryDto[], sort: Sort): EntryDto[] {
  const compare = (a: EntryDto, b: EntryDto): number => {
    if (sort.key === 'date') return a.createdAt.localeCompare(b.createdAt);
    if (sort.key === 'size') return (a.size ?? 0) - (b.size ?? 0);
    return collator.compare(a.name, b.name);
  };
  return [...entries].sort((a, b) => {
    if (a.kind !== b.kind) return a.kind === 'folder' ? -1 : 1;
    const order = compare(a, b) || collator.compare(a.name, b.name);
    return sort.descending ? -order : order;
  });
}

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

/** A path as one shell word, for the command shown to copy. */
function shellWord(text: string): string {
  return /^[\w./~-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A folder name typed in the browser: one name, not a path. Null when it is fine. */
function folderNameProblem(name: string): string | null {
  if (name.includes('/')) return 'A folder name cannot hold “/”. Make one folder, open it, and make the next one inside.';
  if (name === '.' || name === '..') return `A folder cannot be called “${name}”.`;
  return null;
}

export function FolderPage({ path }: { path: string }) {
  const [listing, setListing] = useState<FolderListing | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [progress, setProgress] = useState<Record<string, number>>({});
  const [sort, setSort] = useState<Sort>(loadSort);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [dragging, setDragging] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const picker = useRef<HTMLInputElement>(null);
  const title = useRef<HTMLHeadingElement>(null);
  const refreshTimer = useRef<number | undefined>(undefined);
  const shown = useRef(false);
  const name = path === '/' ? 'All files' : path.slice(path.lastIndexOf('/') + 1);
  useTitle(path === '/' ? '' : name);

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

  const sorted = useMemo(() => (listing ? sortEntries(listing.entries, sort) : []), [listing, sort]);

  const changeSort = (next: Sort) => {
    setSort(next);
    try {
      localStorage.setItem(SORT_STORAGE, JSON.stringify(next));
    } catch {
      // Storage blocked (private mode, a policy): the order holds for this visit only.
    }
  };

  const addFiles = (files: FileToUpload[]) => {
    if (files.length === 0) return;
    uploads.add(files);
    setNotice(`${files.length === 1 ? files[0]!.file.name : `${files.length} files`} added to the uploads.`);
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const { entries, files } = droppedEntries(event.dataTransfer);
    filesIn(entries, files, path).then(addFiles, (e: Error) => setNotice(`The dropped files could not be read: ${e.message}`));
  };

  const onAction = (action: EntryAction, entry: EntryDto) => setDialog({ kind: action, entry });
  const [me, setMe] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    void api.me().then(setMe);
  }, []);
  const closeDialog = () => setDialog(null);
  const refocus = useRef(false);
  const done = (message: string) => {
    setNotice(message);
    refocus.current = true;
    void load();
  };
  // After a change the row that had focus (its Delete or Move button) may be gone: focus the folder.
  useEffect(() => {
    if (!refocus.current) return;
    refocus.current = false;
    if (!document.activeElement || document.activeElement === document.body) title.current?.focus();
  }, [listing]);

  const missing = error?.status === 404;
  return (
    <main
      className={`page folder-page${dragging ? ' dragging' : ''}`}
      onDragOver={(event) => {
        if (![...event.dataTransfer.types].includes('Files')) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = 'copy';
        setDragging(true);
      }}
      onDragLeave={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <Breadcrumbs path={path} />
      <div className="toolbar">
        <h1 className="folder-title" ref={title} tabIndex={-1}>
          {name}
        </h1>
        <div className="toolbar-actions">
          <button type="button" className="primary" onClick={() => picker.current?.click()} disabled={missing}>
            Upload files
          </button>
          <input
            ref={picker}
            type="file"
            multiple
            hidden
            aria-label="Choose files to upload"
            data-testid="file-picker"
            onChange={(event) => {
              addFiles([...(event.target.files ?? [])].map((file) => ({ file, folder: path })));
              event.target.value = '';
            }}
          />
          <button type="button" onClick={() => setDialog({ kind: 'new-folder' })} disabled={missing}>
            New folder
          </button>
          <label className="sort">
            <span>Sort by</span>
            <select value={sort.key} onChange={(e) => changeSort({ key: e.target.value as SortKey, descending: e.target.value !== 'name' })}>
              <option value="name">Name</option>
              <option value="date">Date</option>
              <option value="size">Size</option>
            </select>
          </label>
          <button type="button" onClick={() => changeSort({ ...sort, descending: !sort.descending })} aria-label={`Sort order: ${sort.descending ? 'descending' : 'ascending'}. Reverse it.`}>
            {sort.descending ? '↓ Descending' : '↑ Ascending'}
          </button>
        </div>
      </div>
      <p className="notice" role="status" aria-live="polite">
        {notice}
      </p>
      {dragging && (
        <div className="drop-hint" aria-hidden="true">
          Drop to upload into {path === '/' ? 'All files' : path}
        </div>
      )}

      {error ? (
        <div className="state state-error" role="alert">
          {missing ? (
            <>
              <h2>{path} does not exist</h2>
              <p>It may have been moved, renamed or deleted.</p>
              <p>
                <Link href={folderUrl(parentOf(path))}>Go to {parentOf(path) === '/' ? 'All files' : parentOf(path)}</Link>
              </p>
            </>
          ) : (
            <>
              <h2>This folder could not be loaded</h2>
              <p>{error.message}</p>
              {/* A path that names a file, or is not a path, will not load on a second try. */}
              {error.status === 0 || error.status >= 500 ? (
                <button type="button" onClick={() => void load()}>
                  Try again
                </button>
              ) : (
                <p>
                  <Link href={folderUrl(parentOf(path))}>Go to {parentOf(path) === '/' ? 'All files' : parentOf(path)}</Link>
                </p>
              )}
            </>
          )}
        </div>
      ) : listing === null ? (
        <p className="state muted">Loading…</p>
      ) : sorted.length === 0 ? (
        <div className="state state-empty">
          <h2>This folder is empty</h2>
          <p>Drop files or folders here, or choose Upload files. New folder makes a folder inside it.</p>
          <p className="muted">From a terminal: nebula upload ~/Videos --to {shellWord(path)}</p>
        </div>
      ) : (
        <ul className="entries" aria-label={`Contents of ${name}`}>
          {sorted.map((entry) => (
            <EntryRow key={entry.id} entry={entry} progress={progress[entry.id]} me={me} onAction={onAction} />
          ))}
        </ul>
      )}

      {dialog?.kind === 'new-folder' && (
        <PromptDialog
          title="New folder"
          label="Folder name"
          initial=""
          submitLabel="Create folder"
          onClose={closeDialog}
          onSubmit={async (value) => {
            const problem = folderNameProblem(value);
            if (problem) throw new Error(problem);
            const created = await api.createFolder(joinPath(path, value));
            done(`Created ${created.name}.`);
          }}
        />
      )}
      {dialog?.kind === 'rename' && (
        <PromptDialog
          title={`Rename “${dialog.entry.name}”`}
          label="New name"
          initial={dialog.entry.name}
          selectStem={dialog.entry.kind === 'file'}
          submitLabel="Rename"
          onClose={closeDialog}
          onSubmit={async (value) => {
            if (value === dialog.entry.name) return;
            const moved = await api.move(dialog.entry.id, { name: value });
            done(`Renamed ${dialog.entry.name} to ${moved.name}.`);
          }}
        />
      )}
      {dialog?.kind === 'move' && (
        <MoveDialog entry={dialog.entry} onClose={closeDialog} onMoved={(folder) => done(`Moved ${dialog.entry.name} to ${folder === '/' ? 'All files' : folder}.`)} />
      )}
      {dialog?.kind === 'discard' && dialog.entry.upload && (
        <ConfirmDialog
          title={`Discard the upload of “${dialog.entry.name}”?`}
          confirmLabel="Discard upload"
          onClose={closeDialog}
          message={
            <p>
              This upload was started {formatDate(dialog.entry.createdAt)}
              {dialog.entry.owner ? ` by ${dialog.entry.owner}` : ''} and never finished. What the server has of it will be deleted and the name freed: upload the
              file again to start anew. To go on with it instead, upload the same file again without discarding.
            </p>
          }
          onConfirm={async () => {
            await api.discardUpload({ ...dialog.entry, upload: dialog.entry.upload! });
            done(`Discarded the unfinished upload of ${dialog.entry.name}.`);
          }}
        />
      )}
      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          title={`Delete “${dialog.entry.name}”?`}
          confirmLabel="Delete"
          onClose={closeDialog}
          message={
            dialog.entry.kind === 'folder' ? (
              <p>The folder and everything in it will be deleted for good: files, their streams and posters. This cannot be undone.</p>
            ) : (
              <p>The file, its streams and its poster will be deleted for good. This cannot be undone.</p>
            )
          }
          onConfirm={async () => {
            await api.remove(dialog.entry.id, dialog.entry.kind === 'folder');
            done(`Deleted ${dialog.entry.name}.`);
          }}
        />
      )}
    </main>
  );
}

