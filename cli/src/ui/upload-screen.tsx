import { Box, render, Static, Text } from 'ink';
import { useSyncExternalStore } from 'react';
import { formatBytes, formatDuration, formatRate, formatTime } from '../format';
import type { UploadEvent, UploadReporter } from '../upload-events';
import { NoticesAbove } from './notices-above';
import { ProgressRow } from './progress-row';
import { Store } from './store';
import { UploadBoard, type BoardView } from './upload-board';
import { closeScreen } from './unmount';

const MARK = { done: '✔', skipped: '↷', error: '✖', replaced: '↺' } as const;
const MARK_COLOR = { done: 'green', skipped: 'gray', error: 'red', replaced: 'yellow' } as const;

function UploadScreen({ store, color }: { store: Store<BoardView>; color: boolean }) {
  const view = useSyncExternalStore(store.subscribe, store.get);
  const { total } = view;
  return (
    <>
      <Static items={view.lines}>
        {(line) => (
          <Text key={line.key}>
            <Text color={color ? MARK_COLOR[line.kind] : undefined}>{MARK[line.kind]}</Text> {line.text}
          </Text>
        )}
      </Static>
      <Box flexDirection="column">
        {view.rows.map((row) => (
          <ProgressRow key={row.file} label={row.file} bytes={row.bytes} total={row.total} rate={row.rate} eta={row.eta} note={row.phase === 'hashing' ? 'hashing' : undefined} color={color} />
        ))}
        {total.files > 0 && total.finished < total.files ? (
          <ProgressRow label={`total, ${total.finished}/${total.files} files`} bytes={total.bytes} total={total.total} rate={total.rate} eta={total.eta} color={color} />
        ) : null}
      </Box>
    </>
  );
}

export function describeUploadEvent(event: UploadEvent): string {
  switch (event.event) {
    case 'done':
      return `${event.file} → ${event.path} (${formatBytes(event.bytes)}${event.sent < event.bytes ? `, ${formatBytes(event.bytes - event.sent)} of it already on the server` : ''})`;
    case 'skipped':
      return `${event.file}: ${event.reason}`;
    case 'error':
      return `${event.file}: ${event.message}`;
    case 'replaced':
      return `${event.file}: gave up the unfinished upload at ${event.path} (started ${formatTime(event.startedAt)}${event.received === null ? '' : `, ${formatBytes(event.received)} received`}); uploading anew`;
    default:
      return event.event;
  }
}

/** The upload's Ink screen: a bar per active file and a total bar; a line per finished file above them. */
export class InkUploadReporter implements UploadReporter {
  private readonly board = new UploadBoard();
  private readonly store: Store<BoardView>;
  private readonly ink: ReturnType<typeof render>;
  private summary: Extract<UploadEvent, { event: 'summary' }> | undefined;

  /** `terminal`: where the screen is drawn (the process's own stdout and stderr unless a test gives its own). */
  constructor(
    private readonly color: boolean,
    terminal: { stdout?: NodeJS.WriteStream; stderr?: NodeJS.WriteStream } = {},
  ) {
    this.store = new Store(this.board.view());
    this.ink = render(
      <>
        <NoticesAbove />
        <UploadScreen store={this.store} color={color} />
      </>,
      { exitOnCtrlC: false, patchConsole: false, ...terminal },
    );
  }

  emit(event: UploadEvent): void {
    if (event.event === 'summary') this.summary = event;
    this.board.apply(event, Date.now(), describeUploadEvent);
    this.store.set(this.board.view(), event.event !== 'progress' && event.event !== 'hashing');
  }

  async finish(): Promise<void> {
    this.store.notify();
    await closeScreen(this.ink);
    const s = this.summary;
    if (s) {
      const parts = [`${s.uploaded} uploaded`, `${s.skipped} skipped`];
      if (s.failed) parts.push(`${s.failed} failed`);
      if (s.stopped) parts.push(`${s.stopped} stopped part way`);
      if (s.notStarted) parts.push(`${s.notStarted} not started`);
      const speed = s.seconds > 0 ? `, ${formatRate(s.sent / s.seconds)}` : '';
      process.stdout.write(`${parts.join(', ')}: ${formatBytes(s.sent)} sent in ${formatDuration(s.seconds)}${speed}\n`);
    }
  }
}
