import { showControls } from '@nebula/contract';
import stringWidth from 'string-width';
import wrapAnsi from 'wrap-ansi';

/**
 * How a table of strings fits a terminal `columns` wide.
 *
 * - **grid**: a table with borders. Columns are as wide as their widest cell, measured in terminal
 *   cells (a CJK character or an emoji takes two). When that is too wide, the columns that may
 *   wrap (a file's name, a path) are narrowed, in the order given, down to `MIN_WRAPPED_WIDTH`,
 *   and their text wraps inside the cell onto more lines.
 * - **list**: when even that does not fit (a phone's terminal), each row is its first cell on a
 *   line of its own, then the other cells on the next, joined by " · " (empty ones left out), under
 *   the column names laid out the same way.
 *
 * Cells come from the server: a control character or a bidi override in one is shown as \uXXXX
 * (showControls), so it can neither break the layout, nor reach the terminal as an escape sequence,
 * nor show the cell's text reordered.
 *
 * Pure, so that it can be tested without a terminal; table.ts prints it.
 */
export type TableLayout = { kind: 'grid'; lines: Segment[][] } | { kind: 'list'; lines: Segment[][] };

/** A piece of a line, with what it is: the screen draws borders and headings in their own style. */
export interface Segment {
  text: string;
  role: 'border' | 'heading' | 'cell' | 'detail';
}

/** A wrapped column is not narrowed below this: narrower, the list reads better. */
export const MIN_WRAPPED_WIDTH = 12;
/** Spaces either side of a cell's text. */
const PADDING = 1;
/** Between two cells of a list row's second line. */
const LIST_SEPARATOR = ' · ';

export function layoutTable(rawRows: readonly Record<string, string>[], columns: number, wrapped: readonly string[]): TableLayout {
  const keys = columnKeys(rawRows);
  const rows = rawRows.map((row) => Object.fromEntries(keys.map((key) => [key, showControls(row[key] ?? '')])));
  const natural = keys.map((key) => Math.max(stringWidth(key), ...rows.map((row) => stringWidth(row[key]!))));
  const widths = fitWidths(keys, natural, columns, wrapped);
  return widths ? { kind: 'grid', lines: gridLines(keys, widths, rows) } : { kind: 'list', lines: listLines(keys, rows) };
}

/** Every key any row has, in the order they first appear. */
function columnKeys(rows: readonly Record<string, string>[]): string[] {
  const keys = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) keys.add(key);
  return [...keys];
}

/** The width of a grid whose columns have these text widths: each cell's padding and the borders. */
function gridWidth(widths: readonly number[]): number {
  return widths.reduce((sum, width) => sum + width + 2 * PADDING, 0) + widths.length + 1;
}

/**
 * Column widths that fit `columns`: the wrapped columns narrowed in the order given, each down to
 * the floor before the next (a listing gives up its name's width before its date's); undefined when
 * even that is too wide.
 */
function fitWidths(keys: readonly string[], natural: readonly number[], columns: number, wrapped: readonly string[]): number[] | undefined {
  const widths = [...natural];
  let excess = gridWidth(widths) - columns;
  for (const key of wrapped) {
    const index = keys.indexOf(key);
    if (excess <= 0 || index < 0) continue;
    const step = Math.min(excess, Math.max(0, widths[index]! - MIN_WRAPPED_WIDTH));
    widths[index]! -= step;
    excess -= step;
  }
  return excess <= 0 ? widths : undefined;
}

/** A cell's text as lines no wider than `width`: at spaces where it can, inside a word where it must. */
function cellLines(text: string, width: number): { text: string; width: number }[] {
  const textWidth = stringWidth(text);
  if (textWidth <= width) return [{ text, width: textWidth }];
  return wrapAnsi(text, width, { hard: true })
    .split('\n')
    .map((line) => ({ text: line, width: stringWidth(line) }));
}

function pad(line: { text: string; width: number } | undefined, width: number): string {
  return ' '.repeat(PADDING) + (line?.text ?? '') + ' '.repeat(width - (line?.width ?? 0) + PADDING);
}

function gridLines(keys: readonly string[], widths: readonly number[], rows: readonly Record<string, string>[]): Segment[][] {
  const rule = (left: string, cross: string, right: string): Segment[] => [{ text: left + widths.map((width) => '─'.repeat(width + 2 * PADDING)).join(cross) + right, role: 'border' }];
  const textLines = (cells: readonly string[], role: Segment['role']): Segment[][] => {
    const wrappedCells = cells.map((cell, index) => cellLines(cell, widths[index]!));
    const height = Math.max(1, ...wrappedCells.map((lines) => lines.length));
    return Array.from({ length: height }, (_, lineIndex) => {
      const segments: Segment[] = [{ text: '│', role: 'border' }];
      for (const [index, lines] of wrappedCells.entries()) {
        segments.push({ text: pad(lines[lineIndex], widths[index]!), role }, { text: '│', role: 'border' });
      }
      return segments;
    });
  };
  return [
    rule('┌', '┬', '┐'),
    ...textLines(keys, 'heading'),
    ...rows.flatMap((row) => [rule('├', '┼', '┤'), ...textLines(keys.map((key) => row[key] ?? ''), 'cell')]),
    rule('└', '┴', '┘'),
  ];
}

function listLines(keys: readonly string[], rows: readonly Record<string, string>[]): Segment[][] {
  const [first, ...rest] = keys;
  /** A row's first cell on a line; the others, those not empty, on the next, indented. */
  const entry = (title: string, others: readonly string[], role: Segment['role'], othersRole: Segment['role']): Segment[][] => [
    [{ text: title, role }],
    ...(others.length > 0 ? [[{ text: `  ${others.join(LIST_SEPARATOR)}`, role: othersRole }]] : []),
  ];
  return [
    ...entry(first!, rest, 'heading', 'heading'),
    ...rows.flatMap((row) => entry(row[first!] ?? '', rest.map((key) => row[key] ?? '').filter((value) => value !== ''), 'cell', 'detail')),
  ];
}
