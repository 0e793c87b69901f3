import { Chalk } from 'chalk';
import type { Output } from '../output';
import { layoutTable, type Segment } from './table-layout';

/**
 * Tables of our own, not @alcalzone/ink-table (the one that loads under Ink 6, see TOOLCHAIN.md).
 * That one measured a cell by its number of UTF-16 units, so a name in Japanese or with an emoji
 * pushed its row's border out of line, and a table wider than the terminal came out with its
 * borders and cells wrapped into each other. This one measures what a terminal draws and fits the
 * terminal (table-layout.ts says how).
 *
 * A table is printed once, as text, not drawn through Ink: Ink lays every line out and diffs the
 * screen, and a folder of 5,000 files took 12 s to print with ink-table (15 s as Ink components of
 * this layout); as text, well under a second.
 */

/** Colours for a table's parts; none without colour (NO_COLOR, see output.ts). */
export function tableStyles(color: boolean): Record<Segment['role'], (text: string) => string> {
  const chalk = new Chalk({ level: color ? 1 : 0 });
  return { border: chalk.bold, heading: chalk.bold.blue, cell: (text) => text, detail: chalk.dim };
}

/** The table as the lines of text to print, `columns` wide at most (a list's lines may wrap). */
export function tableText(rows: readonly Record<string, string>[], columns: number, wrapped: readonly string[], color: boolean): string {
  const styles = tableStyles(color);
  return layoutTable(rows, columns, wrapped)
    .lines.map((line) => line.map((segment) => styles[segment.role](segment.text)).join(''))
    .join('\n');
}

/** The width to fit: the terminal's, or 80 columns where it does not say. */
export function terminalColumns(stdout: NodeJS.WriteStream = process.stdout): number {
  return stdout.columns || 80;
}

/**
 * Rows of strings as a table that fits the terminal. `wrapped`: the columns whose text may wrap
 * inside its cell when the table is too wide, narrowed in this order (names and paths first).
 */
export function printTable(rows: readonly Record<string, string>[], output: Output, wrapped: readonly string[]): void {
  output.line(tableText(rows, terminalColumns(), wrapped, output.color));
}
