import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { layoutTable, MIN_WRAPPED_WIDTH, type Segment } from './table-layout';

const text = (line: Segment[]) => line.map((segment) => segment.text).join('');
const lines = (rows: Record<string, string>[], columns: number, wrapped = ['name']) => layoutTable(rows, columns, wrapped);
/** The text of one column, read back from a grid: every line's cell `column`, joined. */
const columnText = (gridLines: string[], column: number) =>
  gridLines
    .filter((line) => line.startsWith('│'))
    .slice(1) // the heading
    .map((line) => line.split('│')[column + 1]!.trim())
    .join('');

const row = (name: string, media = 'ready') => ({ name, kind: 'file', size: '2.00 KiB', modified: '2026-03-01 12:00', media });

describe('a table that fits its terminal', () => {
  it('is a grid as wide as its widest cells when that fits', () => {
    const layout = lines([row('a.mp4'), row('walk.mp4')], 120);
    expect(layout.kind).toBe('grid');
    const drawn = layout.lines.map(text);
    expect(drawn[0]).toBe('┌──────────┬──────┬──────────┬──────────────────┬───────┐');
    expect(drawn[1]).toBe('│ name     │ kind │ size     │ modified         │ media │');
    expect(drawn[3]).toBe('│ a.mp4    │ file │ 2.00 KiB │ 2026-03-01 12:00 │ ready │');
    expect(drawn.at(-1)).toBe('└──────────┴──────┴──────────┴──────────────────┴───────┘');
  });

  it('keeps its borders in line with names a terminal draws two cells wide (CJK, emoji)', () => {
    const layout = lines([row('旅行の動画.mp4'), row('🎬 trailer.mp4'), row('a.mp4')], 120);
    const widths = layout.lines.map((line) => stringWidth(text(line)));
    expect(new Set(widths)).toEqual(new Set([widths[0]]));
    // The old table counted UTF-16 units: 旅行の動画.mp4 is 10 of them and 14 cells wide.
    expect(layout.lines.map(text)).toContain('│ 旅行の動画.mp4 │ file │ 2.00 KiB │ 2026-03-01 12:00 │ ready │');
  });

  it('wraps a long name inside its cell when the table is wider than the terminal, and keeps the other columns whole', () => {
    const long = 'GX010234 Holiday in the mountains, day two, the long walk to the lake (4K HDR).mp4';
    const layout = lines([row(long), row('a.mp4')], 80);
    expect(layout.kind).toBe('grid');
    const drawn = layout.lines.map(text);
    for (const line of drawn) expect(stringWidth(line)).toBe(80);
    expect(columnText(drawn, 0).replaceAll(' ', '')).toBe(`${long}a.mp4`.replaceAll(' ', ''));
    expect(drawn.filter((line) => line.includes('2026-03-01 12:00'))).toHaveLength(2);
  });

  it('narrows the columns that may wrap in the order given, each as far as it goes before the next', () => {
    // 40 + 44 wide at first. At 110 columns the name gives the 18 too many; at 90, all it can (28),
    // then the media the other 10.
    const rows = [row('n'.repeat(40), `uploading 33% ${'m'.repeat(30)}`)];
    const cellWidths = (columns: number) => {
      const heading = text(lines(rows, columns, ['name', 'media']).lines[1]!).split('│');
      return [heading[1]!.length - 2, heading[5]!.length - 2];
    };
    expect(cellWidths(110)).toEqual([22, 44]);
    expect(cellWidths(90)).toEqual([MIN_WRAPPED_WIDTH, 34]);
  });

  it('is a list on a terminal too narrow for any grid (a phone): each name on its line, then the rest', () => {
    const layout = lines([row('旅行の動画.mp4'), { ...row('Raw/'), kind: 'folder', size: '', media: '' }], 40);
    expect(layout.kind).toBe('list');
    expect(layout.lines.map(text)).toEqual([
      'name',
      '  kind · size · modified · media',
      '旅行の動画.mp4',
      '  file · 2.00 KiB · 2026-03-01 12:00 · ready',
      'Raw/',
      '  folder · 2026-03-01 12:00',
    ]);
  });

  it('does not narrow a wrapped column below the floor: a list reads better than a grid of slivers', () => {
    const rows = [row('x'.repeat(30))];
    const widthWithNameAtFloor = 1 + (MIN_WRAPPED_WIDTH + 3) + (4 + 3) + (8 + 3) + (16 + 3) + (5 + 3);
    expect(lines(rows, widthWithNameAtFloor).kind).toBe('grid');
    expect(lines(rows, widthWithNameAtFloor - 1).kind).toBe('list');
  });

  it('shows a control character in a cell as \\uXXXX: nothing from the server reaches the terminal as an escape sequence', () => {
    for (const columns of [120, 40]) {
      const drawn = lines([row('clear\u001b[2J\u009b31m.mp4')], columns).lines.map(text);
      expect(drawn.join('\n')).not.toContain('\u001b');
      expect(drawn.join('\n')).not.toContain('\u009b');
      expect(drawn.join('\n')).toContain('clear\\u001b[2J\\u009b31m.mp4');
    }
  });

  it('shows a right-to-left override in a name as \\u202e, so the name cannot read as another (invoice\\u202egnp.exe as invoiceexe.png)', () => {
    const drawn = lines([row('invoice\u202egnp.exe'), row('\u2067isolated\u2069.mp4')], 120).lines.map(text);
    expect(drawn.join('\n')).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    expect(drawn.join('\n')).toContain('invoice\\u202egnp.exe');
    expect(drawn.join('\n')).toContain('\\u2067isolated\\u2069.mp4');
  });
});
