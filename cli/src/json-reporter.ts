/** Progress-like events that are thinned out: at most one per file every `intervalMs`. */
const THROTTLED = new Set(['progress', 'hashing']);

export interface TransferEventBase {
  event: string;
  file?: string;
  bytes?: number;
  total?: number;
}

/**
 * Writes transfer events as JSON lines (stdout without a terminal, or --json). Progress is
 * throttled per file (4 a second by default), except the last one of a file, which always goes out.
 */
export class JsonReporter<E extends TransferEventBase> {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly write: (line: string) => void = (line) => void process.stdout.write(line),
    private readonly now: () => number = Date.now,
    private readonly intervalMs = 250,
  ) {}

  emit(event: E): void {
    if (THROTTLED.has(event.event)) {
      const key = `${event.event}\n${event.file ?? ''}`;
      const at = this.now();
      const previous = this.last.get(key);
      const complete = event.bytes !== undefined && event.bytes === event.total;
      if (previous !== undefined && at - previous < this.intervalMs && !complete) return;
      this.last.set(key, at);
    } else if (event.file !== undefined) {
      this.last.delete(`progress\n${event.file}`);
    }
    this.write(`${JSON.stringify(event)}\n`);
  }

  async finish(): Promise<void> {}
}
