import { Table } from '@alcalzone/ink-table';
import { render, Text } from 'ink';
import type { EntryDto } from '@nebula/shared';
import { formatBytes, formatTime } from '../format';
import { closeScreen } from './unmount';

export function entryRow(entry: EntryDto) {
  return {
    name: entry.kind === 'folder' ? `${entry.name}/` : entry.name,
    kind: entry.kind,
    size: entry.size === null ? '' : formatBytes(entry.size),
    modified: formatTime(entry.updatedAt),
    media: entry.status === 'uploading' ? 'uploading' : (entry.media?.status ?? ''),
  };
}

/**
 * A folder listing as a table. @alcalzone/ink-table, because ink-table 3 is CommonJS and cannot
 * load Ink 6 (see TOOLCHAIN.md).
 */
export async function printEntries(path: string, entries: EntryDto[]): Promise<void> {
  const instance = render(entries.length === 0 ? <Text>{path} is empty</Text> : <Table data={entries.map(entryRow)} />, { patchConsole: false, exitOnCtrlC: false });
  await closeScreen(instance);
}
