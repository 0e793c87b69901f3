import { TransferMeter } from '../transfer-meter';
import type { UploadEvent } from '../upload-events';

export interface BoardRow {
  file: string;
  phase: 'hashing' | 'uploading';
  bytes: number;
  total: number;
  rate: number | null;
  eta: number | null;
}

export interface BoardLine {
  key: number;
  kind: 'done' | 'skipped' | 'error' | 'replaced';
  text: string;
}

export interface BoardView {
  rows: BoardRow[];
  lines: BoardLine[];
  total: { bytes: number; total: number; files: number; finished: number; rate: number | null; eta: number | null };
}

interface FileState {
  phase: 'hashing' | 'uploading';
  bytes: number;
  total: number;
  meter: TransferMeter;
}

/**
 * The state behind the upload screen: a row per active file and a total, fed by the same events
 * the JSON reporter prints. No I/O: time comes in with each event.
 */
export class UploadBoard {
  private readonly active = new Map<string, FileState>();
  private readonly lines: BoardLine[] = [];
  private readonly totalMeter = new TransferMeter();
  private files = 0;
  private totalBytes = 0;
  private finished = 0;
  /** Bytes of finished files (uploaded or skipped) and of failed ones as far as they got. */
  private settledBytes = 0;
  /** Bytes moved by this run, for the total speed. */
  private moved = 0;

  apply(event: UploadEvent, now: number, describe: (event: UploadEvent) => string): void {
    switch (event.event) {
      case 'plan':
        this.files = event.files;
        this.totalBytes = event.bytes;
        this.totalMeter.sample(now, 0);
        return;
      case 'hashing':
        this.active.set(event.file, { phase: 'hashing', bytes: event.bytes, total: event.total, meter: this.active.get(event.file)?.meter ?? new TransferMeter() });
        return;
      case 'resumed':
      case 'progress': {
        const state = this.active.get(event.file);
        const bytes = event.event === 'resumed' ? event.offset : event.bytes;
        if (!state || state.phase === 'hashing') {
          const meter = new TransferMeter();
          meter.sample(now, bytes);
          this.active.set(event.file, { phase: 'uploading', bytes, total: event.total, meter });
          return;
        }
        // A resume after a network cut may go back: bytes the server had already do not count as speed.
        if (bytes > state.bytes) this.moved += bytes - state.bytes;
        state.bytes = bytes;
        state.meter.sample(now, bytes);
        this.totalMeter.sample(now, this.moved);
        return;
      }
      case 'done':
      case 'skipped':
      case 'error': {
        const state = this.active.get(event.file);
        this.active.delete(event.file);
        this.finished++;
        if (event.event === 'error') this.settledBytes += state?.phase === 'uploading' ? state.bytes : 0;
        else this.settledBytes += event.bytes;
        if (event.event === 'done' && state?.phase === 'uploading' && event.bytes > state.bytes) this.moved += event.bytes - state.bytes;
        this.totalMeter.sample(now, this.moved);
        this.lines.push({ key: this.lines.length, kind: event.event, text: describe(event) });
        return;
      }
      case 'replaced':
        this.lines.push({ key: this.lines.length, kind: 'replaced', text: describe(event) });
        return;
      case 'summary':
        return;
    }
  }

  view(): BoardView {
    const rows = [...this.active.entries()].map(([file, state]) => ({
      file,
      phase: state.phase,
      bytes: state.bytes,
      total: state.total,
      rate: state.phase === 'uploading' ? state.meter.rate() : null,
      eta: state.phase === 'uploading' ? state.meter.eta(state.total) : null,
    }));
    const inFlight = [...this.active.values()].reduce((sum, state) => sum + (state.phase === 'uploading' ? state.bytes : 0), 0);
    const bytes = this.settledBytes + inFlight;
    const rate = this.totalMeter.rate();
    return {
      rows,
      lines: [...this.lines],
      total: { bytes, total: this.totalBytes, files: this.files, finished: this.finished, rate, eta: rate ? Math.max(0, (this.totalBytes - bytes) / rate) : null },
    };
  }
}
