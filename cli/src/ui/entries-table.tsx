import { Table } from '@alcalzone/ink-table';
import { render, Text } from 'ink';
import type { EntryDto } from '@nebula/contract';
import { formatBytes, formatTime } from '../format';
import { closeScreen } from './unmount';

/** One row of the table; the owner column (the tailnet user who uploaded it) only when `withOwner`. */
export function entryRow(entry: EntryDto, withOwner = false): Record<string, string> {
  return {
    name: entry.kind === 'folder' ? `${entry.name}/` : entry.name,
    kind: entry.kind,
    size: entry.size === null ? '' : formatBytes(entry.size),
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

/** The rows of a listing: with an owner column when any entry has an owner. */
export function entryRows(entries: readonly EntryDto[]): Record<string, string>[] {
  const withOwner = entries.some((entry) => entry.owner);
  return entries.map((entry) => entryRow(entry, withOwner));
}

/**
 * A folder listing as a table. @alcalzone/ink-table, because ink-table 3 is CommonJS and cannot
 * load Ink 6 (see TOOLCHAIN.md).
 */
export async function printEntries(path: string, entries: EntryDto[]): Promise<void> {
  const instance = render(entries.length === 0 ? <Text>{path} is empty</Text> : <Table data={entryRows(entries)} />, { patchConsole: false, exitOnCtrlC: false });
  await closeScreen(instance);
}
