import { useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { api } from '../api';
import { useTitle } from '../routes';
import { droppedEntries, filesIn, type FileToUpload } from '../uploads/dropped-files';
import { uploads } from '../uploads/upload-store';
import { Breadcrumbs } from './breadcrumbs';
import { EntryDialogs, type OpenDialog } from './entry-dialogs';
import { FolderContents } from './folder-contents';
import { useFolderListing } from './folder-listing';
import { FolderToolbar } from './folder-toolbar';
import { loadSort, saveSort, sortEntries, type Sort } from './sort';
import { holdsVideos, loadView, saveView, type View } from './view-mode';

/**
 * One folder: its toolbar, its contents kept current by the event stream (useFolderListing), the
 * dialog that is open, and dropping files anywhere on the page to upload them into it.
 */
export function FolderPage({ path }: { path: string }) {
  const { listing, error, progress, notice, setNotice, load } = useFolderListing(path);
  const [sort, setSort] = useState<Sort>(loadSort);
  const [chosenView, setChosenView] = useState<View>(loadView);
  const [dialog, setDialog] = useState<OpenDialog>(null);
  const [dragging, setDragging] = useState(false);
  const [me, setMe] = useState<string | null | undefined>(undefined);
  const title = useRef<HTMLHeadingElement>(null);
  const name = path === '/' ? 'All files' : path.slice(path.lastIndexOf('/') + 1);
  useTitle(path === '/' ? '' : name);

  useEffect(() => {
    void api.me().then(setMe);
  }, []);

  const sorted = useMemo(() => (listing ? sortEntries(listing.entries, sort) : null), [listing, sort]);
  const view = holdsVideos(listing?.entries ?? null) ? chosenView : null;
  const changeView = (next: View) => {
    setChosenView(next);
    saveView(next);
  };
  const changeSort = (next: Sort) => {
    setSort(next);
    saveSort(next);
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
      <FolderToolbar
        path={path}
        name={name}
        title={title}
        disabled={error?.status === 404}
        sort={sort}
        onSort={changeSort}
        onFiles={addFiles}
        onNewFolder={() => setDialog({ kind: 'new-folder' })}
        view={view}
        onView={changeView}
      />
      <p className="notice" role="status" aria-live="polite">
        {notice}
      </p>
      {dragging && (
        <div className="drop-hint" aria-hidden="true">
          Drop to upload into {path === '/' ? 'All files' : path}
        </div>
      )}
      <FolderContents
        path={path}
        name={name}
        entries={sorted}
        error={error}
        progress={progress}
        me={me}
        view={view ?? 'list'}
        onAction={(action, entry) => setDialog({ kind: action, entry })}
        onRetry={() => void load()}
      />
      <EntryDialogs dialog={dialog} path={path} onClose={() => setDialog(null)} onDone={done} />
    </main>
  );
}
