import { Inject, Injectable, Logger } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import ffmpeg from 'fluent-ffmpeg';
import type { Config } from '@nebula/shared';
import { currentTrace, runWithTrace } from '@nebula/shared/runtime';
import { CONFIG } from '../config';

const run = promisify(execFile);

export class FfmpegError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FfmpegError';
  }
}

/**
 * The one place ffmpeg and ffprobe run. Argument lists come whole from the pure builders
 * (ffmpeg/); fluent-ffmpeg runs them. A list is split at its last `-i` into input options,
 * input, output options and output, which fluent-ffmpeg puts back in the same order; each part is
 * passed as separate arguments, so fluent-ffmpeg never splits a value at its spaces
 * (-var_stream_map has them).
 */
@Injectable()
export class FfmpegRunner {
  private readonly logger = new Logger('ffmpeg');

  constructor(@Inject(CONFIG) private readonly config: Config) {}

  /** Runs ffmpeg; `onStdout` receives what `-progress pipe:1` writes. Rejects with ffmpeg's error text. */
  ffmpeg(args: readonly string[], options: { onStdout?: (chunk: string) => void; signal?: AbortSignal } = {}): Promise<void> {
    const i = args.lastIndexOf('-i');
    if (i < 0 || i + 2 >= args.length) return Promise.reject(new FfmpegError(`not an ffmpeg command with one input and one output: ${args.join(' ')}`));
    const command = ffmpeg().setFfmpegPath(this.config.media.ffmpegPath).input(args[i + 1]!);
    addOptions(args.slice(0, i), (...o) => command.inputOptions(...o));
    addOptions(args.slice(i + 2, -1), (...o) => command.outputOptions(...o));
    command.output(args.at(-1)!);
    // fluent-ffmpeg's events come from the child's streams; enter the caller's trace again for them.
    const trace = currentTrace();
    const log = (write: () => void) => (trace ? runWithTrace(trace, write) : write());
    return new Promise((resolve, reject) => {
      command.on('stderr', (line: string) => {
        if (line.trim()) log(() => this.logger.warn(`ffmpeg: ${line.trim()}`));
      });
      command.on('start', (commandLine: string) => {
        log(() => this.logger.log(`ffmpeg started: ${commandLine}`));
        const proc = (command as unknown as { ffmpegProc?: import('node:child_process').ChildProcess }).ffmpegProc;
        proc?.stdout?.setEncoding('utf8');
        proc?.stdout?.on('data', (chunk: string) => options.onStdout?.(chunk));
      });
      command.on('error', (error: Error, _stdout: string | null, stderr: string | null) => reject(new FfmpegError(explain(error, stderr ?? ''))));
      command.on('end', () => resolve());
      options.signal?.addEventListener('abort', () => command.kill('SIGKILL'), { once: true });
      command.run();
    });
  }

  /** Runs ffprobe and returns its stdout (JSON with probeArgs); rejects with stderr as the message. */
  async ffprobe(args: readonly string[]): Promise<string> {
    try {
      const { stdout } = await run(this.config.media.ffprobePath, [...args], { maxBuffer: 16 * 1024 * 1024, timeout: 60_000 });
      return stdout;
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') throw new FfmpegError(`ffprobe not found at "${this.config.media.ffprobePath}" (install ffmpeg, or set NEBULA_FFPROBE_PATH)`);
      throw new FfmpegError(e.stderr?.trim() || e.message);
    }
  }
}

/** Two or more arguments switch fluent-ffmpeg's "split at the space" off; the builders never emit a lone option. */
function addOptions(options: string[], add: (...options: string[]) => unknown): void {
  if (options.length > 0) add(...options);
}

function explain(error: Error, stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines.length > 0) return lines.slice(-3).join(' / ');
  return error.message;
}
