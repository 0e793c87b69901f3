import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { shellQuote } from './deploy/server-script';
import { CliError, EXIT } from './errors';
import type { LocalFile, LocalSource } from './upload-plan';

/**
 * Reads the command-line arguments of `nebula upload` from disk. Symbolic links to files are
 * followed; links to folders are not (they could loop), and neither are sockets or devices.
 */
export async function scanSources(inputs: string[]): Promise<LocalSource[]> {
  const sources: LocalSource[] = [];
  for (const [index, input] of inputs.entries()) {
    const absolute = resolve(input);
    const info = await stat(absolute).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw new CliError(`no such file or folder: ${input}${destinationHint(inputs, index)}`, EXIT.notFound, 'not_found');
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

/**
 * `nebula upload clip.mp4 /films/` is how scp, rsync and rclone name a destination; here every
 * argument is something to upload, and the folder on the server is --to. A missing last argument
 * after others is most likely meant as that folder: the error says how to write it.
 */
function destinationHint(inputs: string[], index: number): string {
  if (inputs.length < 2 || index !== inputs.length - 1) return '';
  const files = inputs.slice(0, -1).map(shellQuote).join(' ');
  return ` (every argument is something to upload; to upload into ${inputs[index]} on the server: nebula upload --to ${shellQuote(inputs[index]!)} ${files})`;
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
