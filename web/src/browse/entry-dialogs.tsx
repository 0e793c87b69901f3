import { api } from '../api';
import { formatDate } from '../format';
import { joinPath, type EntryDto } from '@nebula/contract';
import { ConfirmDialog, MoveDialog, PromptDialog } from './dialogs';
import type { EntryAction } from './entry-row';

/** Which dialog of the folder page is open, and for which entry. */
export type OpenDialog = { kind: 'new-folder' } | { kind: EntryAction; entry: EntryDto } | null;

/** A folder name typed in the browser: one name, not a path. Null when it is fine. */
export function folderNameProblem(name: string): string | null {
  if (name.includes('/')) return 'A folder name cannot hold “/”. Make one folder, open it, and make the next one inside.';
  if (name === '.' || name === '..') return `A folder cannot be called “${name}”.`;
  return null;
}

/** The open dialog of the folder at `path`; `onDone` gets the sentence that says what happened. */
export function EntryDialogs({ dialog, path, onClose, onDone }: { dialog: OpenDialog; path: string; onClose: () => void; onDone: (message: string) => void }) {
  if (!dialog) return null;
  switch (dialog.kind) {
    case 'new-folder':
      return (
        <PromptDialog
          title="New folder"
          label="Folder name"
          initial=""
          submitLabel="Create folder"
          onClose={onClose}
          onSubmit={async (value) => {
            const problem = folderNameProblem(value);
            if (problem) throw new Error(problem);
            const created = await api.createFolder(joinPath(path, value));
            onDone(`Created ${created.name}.`);
          }}
        />
      );
    case 'rename':
      return (
        <PromptDialog
          title={`Rename “${dialog.entry.name}”`}
          label="New name"
          initial={dialog.entry.name}
          selectStem={dialog.entry.kind === 'file'}
          submitLabel="Rename"
          onClose={onClose}
          onSubmit={async (value) => {
            if (value === dialog.entry.name) return;
            const moved = await api.move(dialog.entry.id, { name: value });
            onDone(`Renamed ${dialog.entry.name} to ${moved.name}.`);
          }}
        />
      );
    case 'move':
      return <MoveDialog entry={dialog.entry} onClose={onClose} onMoved={(folder) => onDone(`Moved ${dialog.entry.name} to ${folder === '/' ? 'All files' : folder}.`)} />;
    case 'discard': {
      const { entry } = dialog;
      if (!entry.upload) return null;
      return (
        <ConfirmDialog
          title={`Discard the upload of “${entry.name}”?`}
          confirmLabel="Discard upload"
          onClose={onClose}
          message={
            <p>
              This upload was started {formatDate(entry.createdAt)}
              {entry.owner ? ` by ${entry.owner}` : ''} and never finished. What the server has of it will be deleted and the name freed: upload the file again to
              start anew. To go on with it instead, upload the same file again without discarding.
            </p>
          }
          onConfirm={async () => {
            await api.discardUpload({ ...entry, upload: entry.upload! });
            onDone(`Discarded the unfinished upload of ${entry.name}.`);
          }}
        />
      );
    }
    case 'delete':
      return (
        <ConfirmDialog
          title={`Delete “${dialog.entry.name}”?`}
          confirmLabel="Delete"
          onClose={onClose}
          message={
            dialog.entry.kind === 'folder' ? (
              <p>The folder and everything in it will be deleted for good: files, their streams and posters. This cannot be undone.</p>
            ) : (
              <p>The file, its streams and its poster will be deleted for good. This cannot be undone.</p>
            )
          }
          onConfirm={async () => {
            await api.remove(dialog.entry.id, dialog.entry.kind === 'folder');
            onDone(`Deleted ${dialog.entry.name}.`);
          }}
        />
      );
  }
}
