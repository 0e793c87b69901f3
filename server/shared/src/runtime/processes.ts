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

/** Leftovers named without a pid (older versions; other tools' temporary files) only go when this old. */
const UNOWNED_MAX_AGE_MS = 60 * 60 * 1000;

/**
 * Whether `name`, a file or folder under the temporary folder named `<prefix><pid>-<random>`, was
 * left by a process that stopped without cleaning up (SIGKILL, the OOM killer, a power cut): its
 * process no longer runs, or it is this process's pid but older than this process (a container runs
 * its process under the same pid after every restart). Those of a process that runs are kept, and
 * so is anything not named with `prefix`.
 */
export function isStaleLeftover(
  name: string,
  prefix: string,
  ageMs: number,
  { isRunning = processRuns, uptimeMs = process.uptime() * 1000 }: { isRunning?: (pid: number) => boolean; uptimeMs?: number } = {},
): boolean {
  if (!name.startsWith(prefix)) return false;
  const pid = /^(\d+)-/.exec(name.slice(prefix.length))?.[1];
  if (Number(pid) === process.pid) return ageMs > uptimeMs;
  if (pid) return !isRunning(Number(pid));
  return ageMs > UNOWNED_MAX_AGE_MS;
}
