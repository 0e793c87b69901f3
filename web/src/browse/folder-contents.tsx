import type { ApiError } from '../api';
import { Link } from '../link';
import { parentOf } from '@nebula/contract';
import { folderUrl } from '../routes';
import type { EntryDto } from '@nebula/contract';
import { EntryRow, type EntryAction } from './entry-row';
import type { View } from './view-mode';
import { ErrorState } from '../error-state';

/** A path as one shell word, for the command shown to copy. */
function shellWord(text: string): string {
  return /^[\w./~-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** What the folder holds, or why it cannot be shown: missing, failed, loading, empty, or its rows. */
export function FolderContents({
  path,
  name,
  entries,
  error,
  progress,
  me,
  view,
  onAction,
  onRetry,
}: {
  path: string;
  name: string;
  /** Sorted; null while loading. */
  entries: EntryDto[] | null;
  error: ApiError | null;
  progress: Record<string, number>;
  /** The caller's tailnet login (null without one; undefined until known). */
  me: string | null | undefined;
  view: View;
  onAction: (action: EntryAction, entry: EntryDto) => void;
  onRetry: () => void;
}) {
  const up = parentOf(path);
  const goUp = <Link href={folderUrl(up)}>Go to {up === '/' ? 'All files' : up}</Link>;
  if (error?.status === 404) {
    return (
      <ErrorState title={`${path} does not exist`} message="It may have been moved, renamed or deleted.">
        <p>{goUp}</p>
      </ErrorState>
    );
  }
  if (error) {
    // A path that names a file, or is not a path, will not load on a second try.
    const mayWorkAgain = error.status === 0 || error.status >= 500;
    return (
      <ErrorState title="This folder could not be loaded" message={error.message} {...(mayWorkAgain ? { onRetry } : {})}>
        {!mayWorkAgain && <p>{goUp}</p>}
      </ErrorState>
    );
  }
  if (entries === null) return <p className="state muted">Loading…</p>;
  if (entries.length === 0) {
    return (
      <div className="state state-empty">
        <h2>This folder is empty</h2>
        <p>Drop files or folders here, or choose Upload files. New folder makes a folder inside it.</p>
        <p className="muted">From a terminal: nebula upload ~/Videos --to {shellWord(path)}</p>
      </div>
    );
  }
  return (
    <ul className={`entries entries-${view}`} aria-label={`Contents of ${name}`} data-view={view}>
      {entries.map((entry) => (
        <EntryRow key={entry.id} entry={entry} progress={progress[entry.id]} me={me} view={view} onAction={onAction} />
      ))}
    </ul>
  );
}
