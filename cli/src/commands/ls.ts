import { compareNames, type EntryDto } from '@nebula/contract';
import type { CommandContext } from '../context';
import { ApiError } from '../errors';
import { normaliseRemotePath } from '../remote-path';

/** nebula ls [/folder]: folders first, then files, by name; one JSON entry per line for scripts. */
export async function ls(path: string | undefined, context: CommandContext): Promise<void> {
  const target = normaliseRemotePath(path ?? '/');
  const client = await context.client();
  let entries: EntryDto[];
  try {
    entries = (await client.listFolder(target)).entries;
  } catch (error) {
    // Like ls(1), a file argument lists just that file.
    if (!(error instanceof ApiError && error.status === 404)) throw error;
    const entry = await client.find(target);
    if (!entry) throw new ApiError(404, 'not_found', `no file or folder at ${target}`);
    entries = [entry];
  }
  // As the web page lists them: clip-2 before clip-10.
  entries = [...entries].sort((a, b) => (a.kind === b.kind ? compareNames(a.name, b.name) : a.kind === 'folder' ? -1 : 1));
  if (context.output.json) {
    for (const entry of entries) context.output.event(entry);
    return;
  }
  const { printEntries } = await import('../ui/entries-table');
  printEntries(target, entries, context.output);
}
