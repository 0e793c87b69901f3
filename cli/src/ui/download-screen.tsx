import { render } from 'ink';
import { useSyncExternalStore } from 'react';
import type { DownloadEvent } from '../download';
import { formatBytes, formatDuration } from '../format';
import { TransferMeter } from '../transfer-meter';
import { NoticesAbove } from './notices-above';
import { ProgressRow } from './progress-row';
import { Store } from './store';
import { closeScreen } from './unmount';

interface DownloadView {
  bytes: number;
  rate: number | null;
  eta: number | null;
}

function DownloadBar({ store, label, total, color }: { store: Store<DownloadView>; label: string; total: number; color: boolean }) {
  const view = useSyncExternalStore(store.subscribe, store.get);
  return <ProgressRow label={label} bytes={view.bytes} total={total} rate={view.rate} eta={view.eta} color={color} />;
}

/** The progress bar of `nebula get`, and a line when it is done. */
export class DownloadScreen {
  private readonly meter = new TransferMeter();
  private readonly store = new Store<DownloadView>({ bytes: 0, rate: null, eta: null });
  private readonly ink: ReturnType<typeof render>;
  private readonly startedAt = Date.now();
  private done: Extract<DownloadEvent, { event: 'done' }> | undefined;
  private notes: string[] = [];

  constructor(
    private readonly out: string,
    private readonly total: number,
    color: boolean,
  ) {
    this.ink = render(
      <>
        <NoticesAbove />
        <DownloadBar store={this.store} label={out} total={total} color={color} />
      </>,
      { patchConsole: false, exitOnCtrlC: false },
    );
  }

  emit(event: DownloadEvent): void {
    const now = Date.now();
    if (event.event === 'resumed') {
      this.notes.push(`continuing ${this.out} from ${formatBytes(event.offset)}`);
      this.meter.sample(now, event.offset);
      this.store.set({ bytes: event.offset, rate: null, eta: null }, true);
    } else if (event.event === 'restarted') {
      this.notes.push(`starting ${this.out} over: ${event.reason}`);
    } else if (event.event === 'progress') {
      this.meter.sample(now, event.bytes);
      this.store.set({ bytes: event.bytes, rate: this.meter.rate(), eta: this.meter.eta(this.total) });
    } else {
      this.done = event;
      this.store.set({ bytes: event.bytes, rate: this.meter.rate(), eta: 0 }, true);
    }
  }

  async finish(): Promise<void> {
    this.store.notify();
    await closeScreen(this.ink);
    for (const note of this.notes) process.stdout.write(`${note}\n`);
    if (this.done) {
      const seconds = (Date.now() - this.startedAt) / 1000;
      process.stdout.write(`${this.done.path} → ${this.out} (${formatBytes(this.done.bytes)}, sha256 verified, ${formatDuration(seconds)})\n`);
    }
  }
}
