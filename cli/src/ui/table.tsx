import { Box, render, Text } from 'ink';
import { layoutTable, type Segment } from './table-layout';
import { closeScreen } from './unmount';

/**
 * A table of our own, not @alcalzone/ink-table (the one that loads under Ink 6, see TOOLCHAIN.md):
 * that one measured a cell by its number of UTF-16 units, so a name in Japanese or with an emoji
 * pushed its row's border out of line, and a table wider than the terminal came out with its
 * borders and cells wrapped into each other. This one measures what a terminal draws and fits the
 * terminal (table-layout.ts says how).
 *
 * `wrapped`: the columns whose text may wrap inside its cell when the table is too wide (names and
 * paths); by default the first.
 */
export function FitTable({ rows, columns, wrapped }: { rows: readonly Record<string, string>[]; columns: number; wrapped?: readonly string[] }) {
  const layout = layoutTable(rows, columns, wrapped ?? Object.keys(rows[0] ?? {}).slice(0, 1));
  return (
    <Box flexDirection="column">
      {layout.lines.map((line, index) => (
        // A line is never wider than `columns`; truncate rather than let Ink wrap it if it were.
        <Text key={index} wrap={layout.kind === 'grid' ? 'truncate-end' : 'wrap'}>
          {line.map((segment, segmentIndex) => (
            <SegmentText key={segmentIndex} segment={segment} />
          ))}
        </Text>
      ))}
    </Box>
  );
}

function SegmentText({ segment }: { segment: Segment }) {
  switch (segment.role) {
    case 'border':
      return <Text bold>{segment.text}</Text>;
    case 'heading':
      return (
        <Text bold color="blue">
          {segment.text}
        </Text>
      );
    case 'detail':
      return <Text dimColor>{segment.text}</Text>;
    default:
      return <Text>{segment.text}</Text>;
  }
}

/** The width to fit: the terminal's, or 80 columns where it does not say. */
export function terminalColumns(stdout: NodeJS.WriteStream = process.stdout): number {
  return stdout.columns || 80;
}

/** Rows of strings as a table that fits the terminal. */
export async function printTable(rows: Record<string, string>[], wrapped?: readonly string[]): Promise<void> {
  const instance = render(<FitTable rows={rows} columns={terminalColumns()} wrapped={wrapped} />, { patchConsole: false, exitOnCtrlC: false });
  await closeScreen(instance);
}
