import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { promisify, stripVTControlCharacters } from 'node:util';
import { shellQuote } from '../src/deploy/server-script';

export const repoRoot = join(import.meta.dirname, '..', '..');
export const nebulaBin = join(repoRoot, 'cli', 'bin', 'nebula.js');

export type CliEvent = { event: string; [key: string]: unknown };

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout's JSON lines (stdout is a pipe here, so every command prints JSON). */
  events: CliEvent[];
}

export interface CliEnvironment {
  /** NEBULA_SERVER */
  server: string;
  /** XDG_CONFIG_HOME and XDG_STATE_HOME live under it: each test's own config and resume state. */
  home: string;
}

export async function cliHome(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'nebula-cli-home-'));
}

const envFor = (environment: CliEnvironment, extra: Record<string, string> = {}) => ({
  ...process.env,
  NEBULA_SERVER: environment.server,
  XDG_CONFIG_HOME: join(environment.home, 'config'),
  XDG_STATE_HOME: join(environment.home, 'state'),
  NO_COLOR: '1',
  ...extra,
});

/** The real CLI as a child process: `node cli/bin/nebula.js ...` (or another runtime, e.g. bun). */
export function spawnCli(environment: CliEnvironment, args: string[], options: { cwd?: string; runtime?: string[]; env?: Record<string, string> } = {}) {
  const [command, ...runtimeArgs] = options.runtime ?? [process.execPath];
  const child = spawn(command as string, [...runtimeArgs, nebulaBin, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: envFor(environment, options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const events: CliEvent[] = [];
  const listeners = new Set<(event: CliEvent) => void>();
  let partial = '';
  child.stdout.on('data', (data: Buffer) => {
    stdout += data.toString();
    partial += data.toString();
    let newline: number;
    while ((newline = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, newline);
      partial = partial.slice(newline + 1);
      if (!line.trim()) continue;
      const event = JSON.parse(line) as CliEvent;
      events.push(event);
      for (const listener of listeners) listener(event);
    }
  });
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    child,
    events,
    /** Resolves with the first event that matches (already printed or still to come). */
    waitFor(match: (event: CliEvent) => boolean): Promise<CliEvent> {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const listener = (event: CliEvent) => {
          if (!match(event)) return;
          listeners.delete(listener);
          resolve(event);
        };
        listeners.add(listener);
        void exited.then(() => reject(new Error(`the CLI exited before the awaited event; stdout:\n${stdout}\nstderr:\n${stderr}`)));
      });
    },
    async result(): Promise<CliResult> {
      const [code, signal] = await exited;
      return { code, signal, stdout, stderr, events };
    },
  };
}

export function runCli(environment: CliEnvironment, args: string[], options: Parameters<typeof spawnCli>[2] = {}): Promise<CliResult> {
  return spawnCli(environment, args, options).result();
}

/**
 * The real CLI on a terminal `columns` wide and `rows` tall, as a user at one sees it: util-linux's
 * script(1) gives it a pseudo-terminal, so it prints for a person (tables, Ink screens) instead of
 * JSON. 0 is a size the terminal does not say. Resolves with the lines it printed (terminal control
 * sequences and colours taken out) when it exits 0.
 */
export async function runCliOnTerminal(environment: CliEnvironment, args: string[], columns: number, rows = 50): Promise<string[]> {
  const command = `stty cols ${columns} rows ${rows} && exec ${[process.execPath, nebulaBin, ...args].map(shellQuote).join(' ')}`;
  const { stdout } = await promisify(execFile)('script', ['--quiet', '--return', '--command', command, '/dev/null'], { cwd: repoRoot, env: envFor(environment) });
  return stripVTControlCharacters(stdout).replaceAll('\r', '').split('\n').filter((line) => line.trim() !== '');
}

/** SIGKILL, as a crash or the OOM killer would: no chance to clean up. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export const byEvent = (name: string) => (event: CliEvent) => event.event === name;
