import { Box, render, Text } from 'ink';
import type { EntryDto } from '@nebula/contract';
import { formatBytes, formatDuration, formatTime } from '../format';
import { FitTable, terminalColumns } from './table';
import { closeScreen } from './unmount';

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

/** A folder listing as a table that fits the terminal: long names wrap inside their cells (see table.tsx). */
export async function printEntries(path: string, entries: EntryDto[]): Promise<void> {
  const instance = render(entries.length === 0 ? <Text>{path} is empty</Text> : <FitTable rows={entryRows(entries)} columns={terminalColumns()} wrapped={['name', 'media', 'owner', 'modified']} />, { patchConsole: false, exitOnCtrlC: false });
  await closeScreen(instance);
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

export async function printSearchResults(q: string, entries: EntryDto[], total: number): Promise<void> {
  const more = total - entries.length;
  const instance = render(
    entries.length === 0 ? (
      <Text>No name holds &quot;{q}&quot;</Text>
    ) : (
      <Box flexDirection="column">
        <FitTable rows={entries.map(searchRow)} columns={terminalColumns()} wrapped={['path', 'media']} />
        {more > 0 && <Text dimColor>{more} more: say more of the name, or raise --limit</Text>}
      </Box>
    ),
    { patchConsole: false, exitOnCtrlC: false },
  );
  await closeScreen(instance);
}
