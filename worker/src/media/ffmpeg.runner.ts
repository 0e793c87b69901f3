import { Inject, Injectable, Logger } from '@nestjs/common';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import type { Config } from '@nebula/shared';
import { currentTrace, runWithTrace } from '@nebula/shared/runtime';
import { CONFIG } from '../config';

export class FfmpegError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FfmpegError';
  }
}

/** ffprobe reads headers only; a minute means it hangs on a broken file or a stuck mount. */
const FFPROBE_TIMEOUT_MS = 60_000;

/**
 * util-linux's setpriv sets the kernel's parent-death signal (prctl PR_SET_PDEATHSIG), then execs
 * the program: when the worker dies, even by SIGKILL, the kernel kills its ffmpeg at once. Node
 * cannot set it on a child itself, and ffmpeg does not notice on its own: it ignores SIGPIPE and
 * write errors on `-progress pipe:1`, and with `-nostdin` (which it needs, lest it read keys from
 * a terminal) a closed stdin tells it nothing either. Without setpriv (macOS), only the worker's own
 * shutdown (killAll) and the supervisor's kill of the worker's process group stop it.
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));
/**
 * ffmpeg runs at a lower priority than the services (nice 10), as a background job: a 4K encode
 * keeps every core busy for minutes, and at the same priority the gateway's range reads and uploads,
 * and the worker's own publishing of the first segments, waited behind it for a turn on a core.
 * ffmpeg still gets every core nothing else wants. ffprobe keeps the normal priority: a job waits on it.
 */
const FFMPEG_NICENESS = 10;
/** What setpriv exits with when it cannot exec the program (as a shell does: "command not found"). */
const EXEC_FAILED = 127;

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderrTail: string[];
}

/**
 * The one place ffmpeg and ffprobe run. Argument lists come whole from the pure builders
 * (ffmpeg/) and are passed to the program exactly as built: no shell, no re-splitting.
 * fluent-ffmpeg ran them before; it is archived upstream and cannot run a program under setpriv.
 * Every running child is tracked, so a worker that stops kills its encodes rather than orphaning them.
 */
@Injectable()
export class FfmpegRunner {
  private readonly logger = new Logger('ffmpeg');
  private readonly running = new Set<ChildProcess>();

  constructor(@Inject(CONFIG) private readonly config: Config) {}

  /** Runs ffmpeg; `onStdout` receives what `-progress pipe:1` writes; `signal` kills it. Rejects with ffmpeg's error text. */
  async ffmpeg(args: readonly string[], options: { onStdout?: (chunk: string) => void; signal?: AbortSignal } = {}): Promise<void> {
    const path = this.config.media.ffmpegPath;
    const trace = currentTrace();
    const log = (write: () => void) => (trace ? runWithTrace(trace, write) : write());
    log(() => this.logger.log(`ffmpeg started: ${[path, ...args].join(' ')}`));
    const outcome = await this.run(path, args, {
      onStdout: options.onStdout,
      onStderrLine: (line) => log(() => this.logger.warn(`ffmpeg: ${line}`)),
      signal: options.signal,
      niceness: FFMPEG_NICENESS,
    });
    if (outcome.code === 0) return;
    throw new FfmpegError(explain('ffmpeg', path, 'NEBULA_FFMPEG_PATH', outcome));
  }

  /**
   * Runs ffprobe and returns its stdout (JSON with probeArgs); rejects with stderr as the message.
   * `timeoutMs` is for a run that reads more than headers (a keyframe scan reads the whole file);
   * `signal` kills it.
   */
  async ffprobe(args: readonly string[], options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string> {
    const path = this.config.media.ffprobePath;
    const outcome = await this.run(path, args, { keepStdout: true, timeoutMs: options.timeoutMs ?? FFPROBE_TIMEOUT_MS, signal: options.signal });
    if (outcome.code === 0) return outcome.stdout;
    throw new FfmpegError(explain('ffprobe', path, 'NEBULA_FFPROBE_PATH', outcome));
  }

  /** How many ffmpeg/ffprobe processes run now. */
  get runningCount(): number {
    return this.running.size;
  }

  /** SIGKILL to every ffmpeg and ffprobe this worker runs: the last thing a worker does before it exits. */
  killAll(): void {
    for (const child of this.running) child.kill('SIGKILL');
  }

  private run(
    program: string,
    args: readonly string[],
    options: { onStdout?: (chunk: string) => void; onStderrLine?: (line: string) => void; keepStdout?: boolean; signal?: AbortSignal; timeoutMs?: number; niceness?: number },
  ): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) return reject(options.signal.reason);
      const [command, commandArgs] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'KILL', '--', program, ...args]] : [program, [...args]];
      // Not detached: ffmpeg stays in the worker's process group, which `npm start` kills whole
      // when the worker dies (a second line of defence where setpriv is missing).
      const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
      // Set as soon as it runs, before ffmpeg starts its threads (they inherit it). Best effort: a
      // priority the system refuses leaves the run as it was.
      if (options.niceness !== undefined && child.pid !== undefined) {
        try {
          setPriority(child.pid, options.niceness);
        } catch {
          /* the normal priority, then */
        }
      }
      this.running.add(child);
      let stdout = '';
      const stderrTail: string[] = [];
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        if (options.keepStdout) stdout += chunk;
        options.onStdout?.(chunk);
      });
      createInterface({ input: child.stderr }).on('line', (raw) => {
        const line = raw.trim();
        if (!line) return;
        stderrTail.push(line);
        if (stderrTail.length > 20) stderrTail.shift();
        options.onStderrLine?.(line);
      });
      const kill = () => child.kill('SIGKILL');
      options.signal?.addEventListener('abort', kill, { once: true });
      const timer = options.timeoutMs ? setTimeout(kill, options.timeoutMs) : undefined;
      const done = () => {
        this.running.delete(child);
        options.signal?.removeEventListener('abort', kill);
        clearTimeout(timer);
      };
      child.once('error', (error: NodeJS.ErrnoException) => {
        done();
        if (error.code === 'ENOENT') resolve({ code: EXEC_FAILED, signal: null, stdout: '', stderrTail: [`${program}: not found`] });
        else reject(error);
      });
      child.once('close', (code, signal) => {
        done();
        if (options.signal?.aborted) return reject(options.signal.reason);
        resolve({ code, signal, stdout, stderrTail });
      });
    });
  }
}

function explain(name: string, path: string, variable: string, outcome: Outcome): string {
  if (outcome.code === EXEC_FAILED && outcome.stderrTail.some((l) => /not found|failed to execute/.test(l))) {
    return `${name} not found at "${path}" (install ffmpeg, or set ${variable})`;
  }
  if (outcome.stderrTail.length > 0) return outcome.stderrTail.slice(-3).join(' / ');
  return outcome.signal ? `${name} was killed (${outcome.signal})` : `${name} exited with code ${outcome.code}`;
}
