import { CliError, EXIT } from './errors';
import { joinRemote, normaliseRemotePath } from './remote-path';

/** A file found on the local disk. */
export interface LocalFile {
  /** As the user would recognise it: the argument they typed, joined with the path inside it. */
  display: string;
  absolute: string;
  /** Slash-separated path inside the folder argument; just the name for a file argument. */
  relative: string;
  size: number;
  mtimeMs: number;
}

/** One command-line argument, read from disk. */
export type LocalSource =
  | { kind: 'file'; file: LocalFile }
  /** `name` is the folder's own name; `folders` are its sub-folders, slash-separated and relative to it. */
  | { kind: 'folder'; name: string; folders: string[]; files: LocalFile[] };

export interface PlannedFile extends LocalFile {
  /** Remote folder it goes into. */
  folder: string;
  name: string;
  /** folder + name */
  path: string;
}

export interface UploadPlan {
  /** Remote folders to create, deepest only: each is created with its parents (POST /api/folders parents:true). */
  folders: string[];
  files: PlannedFile[];
  totalBytes: number;
}

/**
 * Where every local file goes, like `cp -r`: a file argument lands in `to`, a folder argument
 * becomes `to/<its name>/...` with its sub-folder structure (empty sub-folders included).
 */
export function planUpload(sources: LocalSource[], to: string): UploadPlan {
  const target = normaliseRemotePath(to);
  const folders = new Set<string>([target]);
  const files: PlannedFile[] = [];
  for (const source of sources) {
    if (source.kind === 'file') {
      files.push(place(source.file, target));
      continue;
    }
    const root = joinRemote(target, source.name);
    folders.add(root);
    for (const folder of source.folders) folders.add(joinRemote(root, folder));
    for (const file of source.files) {
      const cut = file.relative.lastIndexOf('/');
      files.push(place(file, cut < 0 ? root : joinRemote(root, file.relative.slice(0, cut))));
    }
  }

  const byPath = new Map<string, PlannedFile>();
  for (const file of files) {
    const other = byPath.get(file.path);
    if (other) throw new CliError(`two files would be uploaded to ${file.path}: ${other.display} and ${file.display}`, EXIT.usage, 'usage');
    byPath.set(file.path, file);
  }
  return { folders: deepestOnly([...folders]), files, totalBytes: files.reduce((sum, file) => sum + file.size, 0) };
}

function place(file: LocalFile, folder: string): PlannedFile {
  const name = file.relative.slice(file.relative.lastIndexOf('/') + 1);
  return { ...file, folder, name, path: joinRemote(folder, name) };
}

/** Drops every folder that another one lies inside, since creating that one with parents makes it too. */
function deepestOnly(folders: string[]): string[] {
  const sorted = [...new Set(folders)].sort();
  return sorted.filter((folder) => !sorted.some((other) => other !== folder && other.startsWith(folder === '/' ? '/' : `${folder}/`)));
}
