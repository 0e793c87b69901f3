import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { CliError, EXIT } from './errors';
import type { LocalFile, LocalSource } from './upload-plan';

/**
 * Reads the command-line arguments of `nebula upload` from disk. Symbolic links to files are
 * followed; links to folders are not (they could loop), and neither are sockets or devices.
 */
export async function scanSources(inputs: string[]): Promise<LocalSource[]> {
  const sources: LocalSource[] = [];
  for (const input of inputs) {
    const absolute = resolve(input);
    const info = await stat(absolute).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw new CliError(`no such file or folder: ${input}`, EXIT.notFound, 'not_found');
      throw error;
    });
    if (info.isFile()) {
      sources.push({ kind: 'file', file: { display: input, absolute, relative: basename(absolute), size: info.size, mtimeMs: info.mtimeMs } });
    } else if (info.isDirectory()) {
      const folders: string[] = [];
      const files: LocalFile[] = [];
      await walk(input, absolute, '', folders, files);
      sources.push({ kind: 'folder', name: basename(absolute), folders, files });
    } else {
      throw new CliError(`not a file or folder: ${input}`, EXIT.usage, 'usage');
    }
  }
  return sources;
}

async function walk(input: string, absolute: string, relative: string, folders: string[], files: LocalFile[]): Promise<void> {
  const entries = await readdir(join(absolute, relative), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const childRelative = relative ? `${relative}/${entry.name}` : entry.name;
    const childAbsolute = join(absolute, childRelative);
    if (entry.isDirectory()) {
      folders.push(childRelative);
      await walk(input, absolute, childRelative, folders, files);
      continue;
    }
    const info = entry.isFile() ? await stat(childAbsolute) : entry.isSymbolicLink() ? await stat(childAbsolute).catch(() => null) : null;
    if (!info?.isFile()) continue;
    files.push({ display: join(input, childRelative), absolute: childAbsolute, relative: childRelative, size: info.size, mtimeMs: info.mtimeMs });
  }
}
