/**
 * A value that Ink components follow with useSyncExternalStore. Changes are announced at most
 * every `intervalMs`: progress arrives far more often than a terminal can usefully redraw.
 */
export class Store<T> {
  private readonly listeners = new Set<() => void>();
  private pending: ReturnType<typeof setTimeout> | undefined;
  private lastNotified = 0;

  constructor(
    private value: T,
    private readonly intervalMs = 100,
  ) {}

  get = (): T => this.value;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  set(value: T, urgent = false): void {
    this.value = value;
    const wait = this.intervalMs - (Date.now() - this.lastNotified);
    if (urgent || wait <= 0) {
      this.notify();
    } else {
      this.pending ??= setTimeout(() => this.notify(), wait);
    }
  }

  notify(): void {
    if (this.pending) clearTimeout(this.pending);
    this.pending = undefined;
    this.lastNotified = Date.now();
    for (const listener of this.listeners) listener();
  }
}
