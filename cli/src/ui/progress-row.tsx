import { showControls } from '@nebula/contract';
import cliTruncate from 'cli-truncate';
import { Text, useStdout } from 'ink';
import stringWidth from 'string-width';
import { bar, formatBytes, formatDuration, formatRate } from '../format';

export interface ProgressRowProps {
  label: string;
  bytes: number;
  total: number;
  rate: number | null;
  eta: number | null;
  /** A word instead of speed and time left, e.g. "hashing". */
  note?: string;
  color: boolean;
}

/** Room for "100% 1023 MiB/1023 MiB  1023 MiB/s  ETA 59m 59s", so the bars of all rows line up. */
const NUMBERS_WIDTH = 47;

/**
 * Fits a label into `width` cells of the terminal, keeping its end (the file name) when it is too
 * long. Measured in cells, not characters: a CJK character or an emoji takes two. A control
 * character (a local file's name may hold one) is shown as \uXXXX.
 */
export function fitLabel(label: string, width: number): string {
  const fitted = cliTruncate(showControls(label), width, { position: 'start' });
  return fitted + ' '.repeat(Math.max(0, width - stringWidth(fitted)));
}

/** One line that never wraps: label, bar, percent, bytes of total, then speed and time left. */
export function ProgressRow({ label, bytes, total, rate, eta, note, color }: ProgressRowProps) {
  const columns = useStdout().stdout.columns || 100;
  const fraction = total > 0 ? bytes / total : 1;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const numbers = `${percent} ${formatBytes(bytes)}/${formatBytes(total)}${note ? `  ${note}` : `  ${formatRate(rate)}  ETA ${formatDuration(eta)}`}`;
  const barWidth = columns >= 110 ? 24 : columns >= 90 ? 16 : 10;
  const labelWidth = Math.max(8, Math.min(40, columns - barWidth - NUMBERS_WIDTH - 3));
  return (
    <Text wrap="truncate-end">
      {fitLabel(label, labelWidth)} <Text color={color ? (note ? 'yellow' : 'cyan') : undefined}>{bar(fraction, barWidth)}</Text> {numbers}
    </Text>
  );
}
