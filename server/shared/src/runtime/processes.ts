/**
 * Whether a process with this pid runs on this machine (one another user runs counts): how the
 * worker and the gateway tell the leftovers of a stopped process (its work folders, its upload part
 * files in TMPDIR) from those of one that still runs.
 */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
