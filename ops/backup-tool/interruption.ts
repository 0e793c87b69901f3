/**
 * What to undo when ops/backup or ops/restore is stopped halfway by Ctrl-C (SIGINT) or SIGTERM:
 * the Postgres started for the run (pg_ctl detaches it from the terminal, so it would outlive us
 * and keep `npm start` from starting) and the unfinished <stamp>.partial folder. cli.ts runs the
 * steps, newest first, then exits.
 */
const steps: (() => Promise<void> | void)[] = [];
let interrupted = false;

/** Registers a step to run if the run is interrupted; the returned function forgets it again. */
export function undoOnInterrupt(step: () => Promise<void> | void): () => void {
  steps.push(step);
  return () => {
    const at = steps.indexOf(step);
    if (at >= 0) steps.splice(at, 1);
  };
}

/** Marks the run interrupted (see assertNotInterrupted) and runs every registered step, newest first. */
export async function undoEverything(): Promise<void> {
  interrupted = true;
  for (const step of steps.splice(0).reverse()) {
    try {
      await step();
    } catch {
      // Best effort: the next step still runs, and the process is about to exit anyway.
    }
  }
}

/**
 * The run goes on while the steps are undone (a copy in progress does not notice), so a backup
 * checks this before it gives its folder the final name: an interrupted one never looks complete.
 */
export function assertNotInterrupted(): void {
  if (interrupted) throw new Error('interrupted');
}
