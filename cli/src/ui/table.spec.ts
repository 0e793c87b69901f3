import { describe, expect, it } from 'vitest';
import { tableText } from './table';

const rows = [{ name: 'a.mp4', size: '2.00 KiB' }];

describe('a printed table', () => {
  it('has no colour codes without colour (NO_COLOR, or not a terminal)', () => {
    expect(tableText(rows, 80, ['name'], false).split('\n')).toEqual(['┌───────┬──────────┐', '│ name  │ size     │', '├───────┼──────────┤', '│ a.mp4 │ 2.00 KiB │', '└───────┴──────────┘']);
  });

  it('draws its borders bold and its headings bold blue with colour, and the cells as they are', () => {
    const [top, heading, , row] = tableText(rows, 80, ['name'], true).split('\n');
    expect(top).toBe('\u001b[1m┌───────┬──────────┐\u001b[22m');
    expect(heading).toContain('\u001b[1m\u001b[34m name  \u001b[39m\u001b[22m');
    expect(row).toContain('\u001b[1m│\u001b[22m a.mp4 \u001b[1m│\u001b[22m');
  });
});
