import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { api } from '../api';
import { joinPath, parentOf } from '../routes';
import type { EntryDto } from '../shared';

/** A modal <dialog>: the browser traps focus, Escape closes it, and focus returns where it was. */
function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="dialog-title"
      // The close event comes a moment after close(): when React's StrictMode has already opened
      // the dialog again (effects run twice in development), it is not this dialog's end.
      onClose={() => {
        if (!ref.current?.open) onClose();
      }}
      onCancel={onClose}
    >
      <h2 id="dialog-title">{title}</h2>
      {children}
    </dialog>
  );
}

function useSubmit(work: () => Promise<void>, onDone: () => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await work();
      onDone();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  };
  return { busy, error, submit };
}

export function PromptDialog(props: { title: string; label: string; initial: string; submitLabel: string; onSubmit: (value: string) => Promise<void>; onClose: () => void }) {
  const [value, setValue] = useState(props.initial);
  const input = useRef<HTMLInputElement>(null);
  const { busy, error, submit } = useSubmit(() => props.onSubmit(value.trim()), props.onClose);
  useEffect(() => {
    // Select the name without its extension, as file managers do on rename.
    const dot = props.initial.lastIndexOf('.');
    input.current?.setSelectionRange(0, dot > 0 ? dot : props.initial.length);
  }, [props.initial]);
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <form onSubmit={submit}>
        <label className="field">
          <span>{props.label}</span>
          <input ref={input} autoFocus value={value} onChange={(e) => setValue(e.target.value)} required aria-invalid={error ? true : undefined} />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy || value.trim() === ''}>
            {props.submitLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function ConfirmDialog(props: { title: string; message: ReactNode; confirmLabel: string; onConfirm: () => Promise<void>; onClose: () => void }) {
  const { busy, error, submit } = useSubmit(props.onConfirm, props.onClose);
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <div className="dialog-message">{props.message}</div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" autoFocus onClick={props.onClose}>
          Cancel
        </button>
        <button type="button" className="danger" disabled={busy} onClick={() => void submit()}>
          {props.confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}

/** Pick a destination folder by browsing, then move there. */
export function MoveDialog({ entry, onClose }: { entry: EntryDto; onClose: () => void }) {
  const from = parentOf(entry.path);
  const [folder, setFolder] = useState(from);
  const [folders, setFolders] = useState<EntryDto[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const { busy, error, submit } = useSubmit(async () => {
    await api.move(entry.id, { folder });
  }, onClose);

  useEffect(() => {
    let current = true;
    setFolders(null);
    setLoadError(null);
    api.list(folder).then(
      (listing) => current && setFolders(listing.entries.filter((e) => e.kind === 'folder' && e.id !== entry.id)),
      (e: Error) => current && setLoadError(e.message),
    );
    return () => {
      current = false;
    };
  }, [folder, entry.id]);

  return (
    <Dialog title={`Move “${entry.name}”`} onClose={onClose}>
      <p className="dialog-message">
        Destination: <strong className="path">{folder}</strong>
      </p>
      <nav aria-label="Destination folders" className="folder-picker">
        <ul>
          {folder !== '/' && (
            <li>
              <button type="button" onClick={() => setFolder(parentOf(folder))}>
                ↑ Up to {parentOf(folder) === '/' ? 'the top folder' : parentOf(folder)}
              </button>
            </li>
          )}
          {folders?.map((f) => (
            <li key={f.id}>
              <button type="button" onClick={() => setFolder(joinPath(folder, f.name))}>
                📁 {f.name}
              </button>
            </li>
          ))}
          {folders?.length === 0 && <li className="muted">No folders in here.</li>}
          {folders === null && !loadError && <li className="muted">Loading…</li>}
        </ul>
      </nav>
      {(error ?? loadError) && (
        <p className="error" role="alert">
          {error ?? loadError}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="primary" disabled={busy || folder === from} onClick={() => void submit()}>
          Move here
        </button>
      </div>
    </Dialog>
  );
}
