import { useEffect, useLayoutEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { api } from '../api';
import { joinPath, parentOf, type EntryDto } from '@nebula/contract';

/**
 * A modal <dialog>: the browser traps focus and Escape closes it. Focus goes back to where it was
 * when the dialog closes, however it closes. Closing it while its request runs leaves the request
 * to finish (its notice still comes); only closing the dialog is left undone then (see useSubmit).
 */
function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  // A layout effect: its cleanup runs while the <dialog> is still in the page, before React removes it.
  useLayoutEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : null;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      dialog?.close();
      if (opener?.isConnected) opener.focus();
    };
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
    >
      <h2 id="dialog-title">{title}</h2>
      {children}
    </dialog>
  );
}

function useSubmit(work: () => Promise<void>, onDone: () => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // onDone closes "the dialog": once this one is gone, that could be another one opened since.
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await work();
      if (mounted.current) onDone();
    } catch (e) {
      if (!mounted.current) return;
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  };
  return { busy, error, submit };
}

export function PromptDialog(props: {
  title: string;
  label: string;
  initial: string;
  /** Select the name without its extension, as file managers do when renaming a file. */
  selectStem?: boolean;
  submitLabel: string;
  onSubmit: (value: string) => Promise<void>;
  onClose: () => void;
}) {
  const [value, setValue] = useState(props.initial);
  const input = useRef<HTMLInputElement>(null);
  const { busy, error, submit } = useSubmit(() => props.onSubmit(value.trim()), props.onClose);
  useEffect(() => {
    const dot = props.selectStem ? props.initial.lastIndexOf('.') : -1;
    input.current?.setSelectionRange(0, dot > 0 ? dot : props.initial.length);
  }, [props.initial, props.selectStem]);
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
export function MoveDialog({ entry, onClose, onMoved }: { entry: EntryDto; onClose: () => void; onMoved: (folder: string) => void }) {
  const from = parentOf(entry.path);
  const [folder, setFolder] = useState(from);
  const [folders, setFolders] = useState<EntryDto[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const { busy, error, submit } = useSubmit(async () => {
    await api.move(entry.id, { folder });
    onMoved(folder);
  }, onClose);
  // Choosing a folder replaces the buttons: keep focus in the list, on its first button.
  const picker = useRef<HTMLElement>(null);
  const chosen = useRef(false);
  const choose = (next: string) => {
    chosen.current = true;
    setFolder(next);
  };
  useEffect(() => {
    if (!chosen.current || folders === null) return;
    picker.current?.querySelector('button')?.focus();
  }, [folders]);

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
      <p className="dialog-message" aria-live="polite">
        Destination: <strong className="path">{folder}</strong>
      </p>
      <nav aria-label="Destination folders" className="folder-picker" ref={picker}>
        <ul>
          {folder !== '/' && (
            <li>
              <button type="button" onClick={() => choose(parentOf(folder))}>
                ↑ Up to {parentOf(folder) === '/' ? 'the top folder' : parentOf(folder)}
              </button>
            </li>
          )}
          {folders?.map((f) => (
            <li key={f.id}>
              <button type="button" onClick={() => choose(joinPath(folder, f.name))}>
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
