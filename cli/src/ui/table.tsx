import { Table } from '@alcalzone/ink-table';
import { render } from 'ink';
import { closeScreen } from './unmount';

/** Rows of strings as a table (@alcalzone/ink-table, see entries-table.tsx for why that one). */
export async function printTable(rows: Record<string, string>[]): Promise<void> {
  const instance = render(<Table data={rows} />, { patchConsole: false, exitOnCtrlC: false });
  await closeScreen(instance);
}
