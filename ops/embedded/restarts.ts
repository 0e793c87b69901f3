/** The first restart of a crashed service waits this long; each crash in a row doubles it... */
const FIRST_DELAY_MS = 1000;
/** ...up to this. */
const MAX_DELAY_MS = 30_000;
/** A service that ran this long before it crashed starts again from the first delay. */
const STABLE_MS = 60_000;

/** The wait before restart number `crashesInARow` (0 for the first): 1, 2, 4, 8, 16, 30, 30 ... s. */
export function restartDelayMs(crashesInARow: number): number {
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(crashesInARow, 16));
}

/**
 * Restarts one service of the stack after it crashed, with exponential backoff (as systemd's
 * Restart=on-failure or runit would), and says what it does on the supervisor's output. Never gives
 * up: a service that cannot start (its port taken, its data broken) is retried every 30 s, and each
 * failure is printed, until Ctrl-C.
 */
export class Restarts {
  private crashesInARow = 0;
  private startedAt = Date.now();
  private pending?: NodeJS.Timeout;
  private cancelled = false;

  constructor(
    readonly name: string,
    private readonly restart: () => Promise<void>,
    private readonly say: (line: string) => void,
  ) {}

  /** The service is (again) up. */
  started(): void {
    this.startedAt = Date.now();
  }

  get restarting(): boolean {
    return this.pending !== undefined;
  }

  /** The service is gone, for `reason` (a signal, an exit code, what its restart failed with). */
  crashed(reason: string): void {
    if (this.cancelled || this.pending) return;
    if (Date.now() - this.startedAt >= STABLE_MS) this.crashesInARow = 0;
    const delay = restartDelayMs(this.crashesInARow++);
    this.say(`the ${this.name} stopped unexpectedly (${reason}); restarting it in ${delay / 1000} s (restart ${this.crashesInARow} in a row)`);
    this.pending = setTimeout(() => {
      if (this.cancelled) return;
      this.restart().then(
        () => {
          this.pending = undefined;
          if (this.cancelled) return;
          this.started();
          this.say(`the ${this.name} is running again`);
        },
        (error: Error) => {
          this.pending = undefined;
          this.crashed(`its restart failed: ${error.message.split('\n')[0]}`);
        },
      );
    }, delay);
  }

  /** Stopping the stack: no more restarts. */
  cancel(): void {
    this.cancelled = true;
    clearTimeout(this.pending);
  }
}
