import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { api, ApiError } from '../api';
import { subjectId, useNebulaEvents, useResync } from '../events';
import { Link } from '../link';
import { folderUrl, joinPath, parentOf, useTitle } from '../routes';
import type { EntryDto, FolderListing } from '../shared';
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

export function FolderPage({ path }: { path: string }) {
  const [listing, setListing] = useState<FolderListing | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [progress, setProgress] = useState<Record<string, number>>({});
  const [sort, setSort] = useState<Sort>(loadSort);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [dragging, setDragging] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const picker = useRef<HTMLInputElement>(null);
  const refreshTimer = useRef<number | undefined>(undefined);
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
    } catch (e) {
      if (request !== latestLoad.current) return;
      setError(e instanceof ApiError ? e : new ApiError(0, 'unknown', String(e)));
    }
  }, [path]);

  useEffect(() => {
    setListing(null);
    setError(null);
    void load();
  }, [load]);

  // Several events often arrive together (upload.completed + media.queued): one refresh for all.
  const refreshSoon = useCallback(() => {
    window.clearTimeout(refreshTimer.current);
    refreshTimer.current = window.setTimeout(() => void load(), 100);
  }, [load]);
  useEffect(() => () => window.clearTimeout(refreshTimer.current), []);

  useEffect(() => {
    uploads.onLanded = (folder) => folder === path && refreshSoon();
    return () => {
      uploads.onLanded = undefined;
    };
  }, [path, refreshSoon]);

  useNebulaEvents((event) => {
    if (event.type === 'media.progress') {
      const percent = Number((event.data as { percent?: unknown }).percent);
      if (Number.isFinite(percent)) setProgress((p) => ({ ...p, [subjectId(event)]: percent }));
      // A file that was queued when the page loaded is now processing: show it.
      if (listing?.entries.some((e) => e.id === subjectId(event) && e.media?.status !== 'processing')) refreshSoon();
      return;
    }
    if (LISTING_EVENTS.has(event.type)) refreshSoon();
  });
  useResync(refreshSoon);

  const sorted = useMemo(() => (listing ? sortEntries(listing.entries, sort) : []), [listing, sort]);

  const changeSort = (next: Sort) => {
    setSort(next);
    localStorage.setItem(SORT_STORAGE, JSON.stringify(next));
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
  const closeDialog = () => setDialog(null);
  const done = (message: string) => {
    setNotice(message);
    void load();
  };

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
        <h1 className="folder-title">{name}</h1>
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
              <p>It may have been moved, renamed or deleted. {error.message}</p>
              <p>
                <Link href={folderUrl(parentOf(path))}>Go to {parentOf(path) === '/' ? 'All files' : parentOf(path)}</Link>
              </p>
            </>
          ) : (
            <>
              <h2>This folder could not be loaded</h2>
              <p>{error.message}</p>
              <button type="button" onClick={() => void load()}>
                Try again
              </button>
            </>
          )}
        </div>
      ) : listing === null ? (
        <p className="state muted">Loading…</p>
      ) : sorted.length === 0 ? (
        <div className="state state-empty">
          <h2>This folder is empty</h2>
          <p>Drop files or folders here, or choose Upload files. New folder makes a folder inside it.</p>
          <p className="muted">From a terminal: nebula upload ~/Videos --to {path}</p>
        </div>
      ) : (
        <ul className="entries" aria-label={`Contents of ${name}`}>
          {sorted.map((entry) => (
            <EntryRow key={entry.id} entry={entry} progress={progress[entry.id]} onAction={onAction} />
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
        <MoveDialog
          entry={dialog.entry}
          onClose={() => {
            closeDialog();
            void load();
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

