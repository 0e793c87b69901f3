import { Box, render, Text, useStdout } from 'ink';
import { useSyncExternalStore } from 'react';
import { bar } from '../format';
import { describeJob, fitJobs, type JobView } from '../job-board';
import { fitLabel } from './progress-row';
import { NoticesAbove } from './notices-above';
import { Store } from './store';
import { closeScreen } from './unmount';

interface StatusView {
  jobs: JobView[];
  /** Jobs the gateway did not list (beyond its limit). */
  more: number;
  note: string | null;
}

const colorOf = (job: JobView) => (job.status === 'failed' ? 'red' : job.status === 'ready' ? 'green' : job.status === 'queued' ? 'yellow' : 'cyan');

/** One job on one line that never wraps: path, a bar while it runs, then what it is doing. */
function JobRow({ job, color }: { job: JobView; color: boolean }) {
  const columns = useStdout().stdout.columns || 100;
  const barWidth = columns >= 110 ? 24 : columns >= 90 ? 16 : 10;
  const labelWidth = Math.max(8, Math.min(48, Math.floor(columns * 0.4)));
  const running = job.status === 'processing';
  return (
    <Text wrap="truncate-end">
      {fitLabel(job.path || job.fileId, labelWidth)}{' '}
      <Text color={color ? colorOf(job) : undefined}>{running ? `${bar((job.percent ?? 0) / 100, barWidth)} ` : ''}{describeJob(job)}</Text>
    </Text>
  );
}

function StatusBoard({ store, color, empty }: { store: Store<StatusView>; color: boolean; empty: string }) {
  const view = useSyncExternalStore(store.subscribe, store.get);
  // A frame as tall as the terminal makes Ink clear the screen on every redraw: keep one line free.
  const rows = useStdout().stdout.rows || Infinity;
  const { shown, more } = fitJobs(view.jobs, rows - 1 - (view.note ? 1 : 0), view.more);
  return (
    <Box flexDirection="column">
      {shown.length === 0 && more === 0 ? <Text>{empty}</Text> : shown.map((job) => <JobRow key={job.fileId} job={job} color={color} />)}
      {more > 0 ? <Text dimColor>… {more} more</Text> : null}
      {view.note ? <Text dimColor>{view.note}</Text> : null}
    </Box>
  );
}

/** The jobs of `nebula status`: drawn once, or redrawn as events arrive with --watch. */
export class StatusScreen {
  private readonly store: Store<StatusView>;
  private readonly ink: ReturnType<typeof render>;

  constructor(jobs: JobView[], color: boolean, empty: string, more = 0) {
    this.store = new Store<StatusView>({ jobs, more, note: null });
    this.ink = render(
      <>
        <NoticesAbove />
        <StatusBoard store={this.store} color={color} empty={empty} />
      </>,
      { patchConsole: false, exitOnCtrlC: false },
    );
  }

  update(jobs: JobView[], urgent = false, more = this.store.get().more): void {
    this.store.set({ ...this.store.get(), jobs: [...jobs], more }, urgent);
  }

  note(note: string | null): void {
    this.store.set({ ...this.store.get(), note }, true);
  }

  async finish(): Promise<void> {
    this.store.notify();
    await closeScreen(this.ink);
  }
}
