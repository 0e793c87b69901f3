import type { EntryDto } from '@nebula/contract';
import { formatBytes, formatDuration, formatTime } from '../format';
import type { Output } from '../output';
import { printTable, tableStyles } from './table';

/**
 * One row of the table; a video's length and picture size only `withMedia` (a folder of videos),
 * the owner column (the tailnet user who uploaded it) only `withOwner`.
 */
export function entryRow(entry: EntryDto, withOwner = false, withMedia = false): Record<string, string> {
  return {
    name: entry.kind === 'folder' ? `${entry.name}/` : entry.name,
    kind: entry.kind,
    size: entry.size === null ? '' : formatBytes(entry.size),
    ...(withMedia ? mediaColumns(entry) : {}),
    // An unfinished upload's row says when it started and how far it got (the owner column says who).
    modified: formatTime(entry.status === 'uploading' ? entry.createdAt : entry.updatedAt),
    media: entry.status === 'uploading' ? uploadingNote(entry) : (entry.media?.status ?? ''),
    ...(withOwner ? { owner: entry.owner ?? '' } : {}),
  };
}

/** "uploading 33% (1.00 MiB)": the bytes the server has of an unfinished upload. */
function uploadingNote(entry: EntryDto): string {
  const received = entry.upload?.received;
  if (received === null || received === undefined || !entry.size) return 'uploading';
  return `uploading ${Math.floor((received / entry.size) * 100)}% (${formatBytes(received)})`;
}

/** A video's length and picture size, once probed (as the web page's rows and `nebula search` show them). */
function mediaColumns(entry: EntryDto): { length: string; picture: string } {
  const media = entry.media;
  return {
    length: media?.durationSeconds ? formatDuration(media.durationSeconds) : '',
    picture: media?.width && media.height ? `${media.width}×${media.height}` : '',
  };
}

/** The rows of a listing: with length and picture columns when any entry is a probed video, an owner column when any has an owner. */
export function entryRows(entries: readonly EntryDto[]): Record<string, string>[] {
  const withOwner = entries.some((entry) => entry.owner);
  const withMedia = entries.some((entry) => entry.media?.durationSeconds || entry.media?.width);
  return entries.map((entry) => entryRow(entry, withOwner, withMedia));
}

/** A folder listing as a table that fits the terminal: long names wrap inside their cells (see table.ts). */
export function printEntries(path: string, entries: EntryDto[], output: Output): void {
  if (entries.length === 0) output.line(`${path} is empty`);
  // The date wraps last: a listing gives up its name's width first.
  else printTable(entryRows(entries), output, ['name', 'media', 'owner', 'modified']);
}

/** A search result's row: where it is, and for a video how long and how large a picture. */
export function searchRow(entry: EntryDto): Record<string, string> {
  const media = entry.media;
  return {
    path: entry.kind === 'folder' ? `${entry.path}/` : entry.path,
    size: entry.size === null ? '' : formatBytes(entry.size),
    ...mediaColumns(entry),
    media: entry.status === 'uploading' ? uploadingNote(entry) : (media?.status ?? ''),
  };
}

export function printSearchResults(q: string, entries: EntryDto[], total: number, output: Output): void {
  if (entries.length === 0) {
    output.line(`No name holds "${q}"`);
    return;
  }
  printTable(entries.map(searchRow), output, ['path', 'media']);
  const more = total - entries.length;
  if (more > 0) output.line(tableStyles(output.color).detail(`${more} more: say more of the name, or raise --limit`));
}
