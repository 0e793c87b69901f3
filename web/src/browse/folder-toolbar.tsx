import { useRef, type Ref } from 'react';
import type { FileToUpload } from '../uploads/dropped-files';
import type { Sort, SortKey } from './sort';
import type { View } from './view-mode';

/** The folder's name and what can be done in it: upload, make a folder, change the order. */
export function FolderToolbar({
  path,
  name,
  title,
  disabled,
  sort,
  onSort,
  onFiles,
  onNewFolder,
  view,
  onView,
}: {
  path: string;
  name: string;
  /** The heading, where focus goes when the row that had it is gone. */
  title: Ref<HTMLHeadingElement>;
  /** The folder does not exist (any more): nothing can be added to it. */
  disabled: boolean;
  sort: Sort;
  onSort: (sort: Sort) => void;
  onFiles: (files: FileToUpload[]) => void;
  onNewFolder: () => void;
  /** Null where the folder has no videos: it is a list, with nothing to choose. */
  view: View | null;
  onView: (view: View) => void;
}) {
  const picker = useRef<HTMLInputElement>(null);
  return (
    <div className="toolbar">
      <h1 className="folder-title" ref={title} tabIndex={-1}>
        {name}
      </h1>
      <div className="toolbar-actions">
        <button type="button" className="primary" onClick={() => picker.current?.click()} disabled={disabled}>
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
            onFiles([...(event.target.files ?? [])].map((file) => ({ file, folder: path })));
            event.target.value = '';
          }}
        />
        <button type="button" onClick={onNewFolder} disabled={disabled}>
          New folder
        </button>
        <label className="sort">
          <span>Sort by</span>
          <select value={sort.key} onChange={(e) => onSort({ key: e.target.value as SortKey, descending: e.target.value !== 'name' })}>
            <option value="name">Name</option>
            <option value="date">Date</option>
            <option value="size">Size</option>
          </select>
        </label>
        <button type="button" onClick={() => onSort({ ...sort, descending: !sort.descending })} aria-label={`Sort order: ${sort.descending ? 'descending' : 'ascending'}. Reverse it.`}>
          {sort.descending ? '↓ Descending' : '↑ Ascending'}
        </button>
        {view && (
          <div className="view-toggle" role="group" aria-label="View">
            {(['grid', 'list'] as const).map((option) => (
              <button key={option} type="button" aria-pressed={view === option} onClick={() => onView(option)}>
                {option === 'grid' ? 'Grid' : 'List'}
              </button>
            ))}
          </div>
        )}
      </div>
    </div>
  );
}
