import { joinPath } from '@nebula/contract';

export interface FileToUpload {
  file: File;
  /** The folder it goes into: the drop target, plus the dropped folder's own structure. */
  folder: string;
}

/**
 * What was dropped, with dropped folders opened up like `nebula upload <folder>` does: each file
 * keeps its place below the folder on screen (the gateway creates missing folders as files arrive).
 * The entries must be taken while the drop event runs; reading them may take longer.
 */
export function droppedEntries(data: DataTransfer): { entries: FileSystemEntry[]; files: File[] } {
  const entries: FileSystemEntry[] = [];
  const files: File[] = [];
  for (const item of data.items) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.();
    if (entry) entries.push(entry);
    else {
      const file = item.getAsFile();
      if (file) files.push(file);
    }
  }
  return { entries, files };
}

export async function filesIn(entries: FileSystemEntry[], files: File[], target: string): Promise<FileToUpload[]> {
  const found: FileToUpload[] = files.map((file) => ({ file, folder: target }));
  const walk = async (entry: FileSystemEntry, folder: string): Promise<void> => {
    if (isFile(entry)) {
      found.push({ file: await new Promise<File>((resolve, reject) => entry.file(resolve, reject)), folder });
      return;
    }
    if (!isDirectory(entry)) return;
    const inside = joinPath(folder, entry.name);
    const reader = entry.createReader();
    // readEntries answers in batches (100 in Chromium) until it answers an empty one.
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
      if (batch.length === 0) break;
      for (const child of batch) await walk(child, inside);
    }
  };
  for (const entry of entries) await walk(entry, target);
  return found;
}

function isFile(entry: FileSystemEntry): entry is FileSystemFileEntry {
  return entry.isFile;
}

function isDirectory(entry: FileSystemEntry): entry is FileSystemDirectoryEntry {
  return entry.isDirectory;
}
