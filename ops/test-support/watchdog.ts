import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

/**
 * Servers a test run or a benchmark starts in sessions of their own (Postgres through pg_ctl, Ceph's
 * daemons) outlive it when it ends without stopping them: Ctrl-C on `npm test` (vitest does not run
 * its global teardown then), a timeout's kill, a crash. Each held its memory (RGW up to 4 GiB), its
 * ports and its folder in /tmp, and the next runs and benchmarks shared the CPU with them.
 *
 * A watchdog is a small shell in a session of its own, reading a pipe from this process. It learns
 * the pids to look after (or the files that hold them); when the pipe closes without a `disarm`
 * (this process has ended, whatever the way), it stops them, newest first, each with its signal and
 * SIGKILL after 10 s, and removes `dir`.
 */
const SCRIPT = `
trap '' INT TERM HUP
list=''
while read -r word signal target; do
  case "$word" in
    pid|pidfile) list="$word $signal $target
$list" ;;
    disarm) exit 0 ;;
  esac
done
# Alive and not a zombie (an init that does not reap would keep one forever).
alive() { state=$(ps -o stat= -p "$1" 2>/dev/null) && [ "\${state#Z}" = "$state" ]; }
printf '%s\\n' "$list" | while read -r word signal target; do
  case "$word" in
    pid) pid=$target ;;
    pidfile) pid=$(head -n 1 "$target" 2>/dev/null) ;;
    *) continue ;;
  esac
  [ -n "$pid" ] && kill -"$signal" "$pid" 2>/dev/null || continue
  tries=0
  while alive "$pid" && [ $tries -lt 100 ]; do sleep 0.1; tries=$((tries + 1)); done
  if alive "$pid"; then kill -KILL "$pid" 2>/dev/null; fi
done
[ -z "$1" ] || rm -rf "$1"
`;

export interface Watchdog {
  /** Stop `pid` with `signal` if this process ends first (after the ones watched later). */
  watch(pid: number, signal?: 'TERM' | 'INT'): void;
  /** The same for the pid a server writes on the first line of `path` (it follows a restart). */
  watchPidFile(path: string, signal?: 'TERM' | 'INT'): void;
  /** They are being stopped the normal way: the watchdog leaves, touching nothing. */
  disarm(): void;
}

export function startWatchdog(dir = ''): Watchdog {
  const shell = spawn('sh', ['-c', SCRIPT, 'watchdog', dir], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  shell.on('error', () => undefined);
  const pipe = shell.stdin!;
  pipe.on('error', () => undefined); // the shell gone already: nothing left to tell it
  // Neither the shell nor its pipe keeps this process alive.
  shell.unref();
  (pipe as unknown as Socket).unref();
  const send = (line: string) => {
    if (pipe.writable) pipe.write(`${line}\n`);
  };
  return {
    watch: (pid, signal = 'TERM') => send(`pid ${signal} ${pid}`),
    watchPidFile: (path, signal = 'TERM') => send(`pidfile ${signal} ${path}`),
    disarm: () => {
      send('disarm');
      pipe.end();
    },
  };
}
