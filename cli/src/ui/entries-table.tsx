import { Table } from '@alcalzone/ink-table';
import { render, Text } from 'ink';
import type { EntryDto } from '@nebula/shared';
import { formatBytes, formatTime } from '../format';
import { closeScreen } from './unmount';

/** One row of the table; the owner column (the tailnet user who uploaded it) only when `withOwner`. */
export function entryRow(entry: EntryDto, withOwner = false): Record<string, string> {
  return {
    name: entry.kind === 'folder' ? `${entry.name}/` : entry.name,
    kind: entry.kind,
    size: entry.size === null ? '' : formatBytes(entry.size),
    modified: formatTime(entry.updatedAt),
    media: entry.status === 'uploading' ? 'uploading' : (entry.media?.status ?? ''),
    ...(withOwner ? { owner: entry.owner ?? '' } : {}),
  };
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
