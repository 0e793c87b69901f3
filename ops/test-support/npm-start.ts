import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackFile } from '../embedded/supervisor';
import { startWatchdog } from './watchdog';

const root = join(import.meta.dirname, '..', '..');

export interface NpmStart {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | string>;
}

/**
 * `npm start` as a user runs it, in its own process group so a test can press Ctrl-C on all of it.
 * NEBULA_METRICS_PORT is unset unless given: each stack picks its own free metrics ports.
 */
export function npmStart(env: Record<string, string>): NpmStart {
  const child = spawn('npm', ['start'], { cwd: root, env: { ...process.env, NEBULA_METRICS_PORT: '', ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  // npm itself dies of the signal it forwarded, so it exits with that signal, not a code.
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  // In a group of its own, it misses the Ctrl-C that ends a test run: Ctrl-C it then (npm passes
  // SIGINT on to the stack, which stops everything it started).
  const watchdog = startWatchdog();
  watchdog.watch(child.pid!, 'INT');
  void exited.then(() => watchdog.disarm());
  return { child, output: () => output, exited };
}

/** Waits until the output (from character `from` on) matches. */
export async function waitForOutput(run: NpmStart, pattern: RegExp, timeoutMs: number, from = 0): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = pattern.exec(run.output().slice(from));
    if (match) return match;
    if (run.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`npm start never printed ${pattern}; it printed:\n${run.output()}`);
}

export function pressCtrlC(run: NpmStart): void {
  try {
    process.kill(-run.child.pid!, 'SIGINT');
  } catch {
    // already gone
  }
}

export async function stopStack(run: NpmStart | undefined): Promise<void> {
  if (!run || run.child.exitCode !== null) return;
  pressCtrlC(run);
  await run.exited;
}

export function stackFile(dataDir: string): StackFile {
  return JSON.parse(readFileSync(join(dataDir, 'run', 'stack.json'), 'utf8')) as StackFile;
}

/** The postmaster's pid, from its lock file. */
export function postmasterPid(dataDir: string): number {
  return Number(readFileSync(join(dataDir, 'postgres_data', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

export async function isHealthy(url: string): Promise<boolean> {
  return (await fetch(`${url}/api/health`).catch(() => null))?.status === 200;
}

/** How the stack's gateway was started: its command line, and its environment as NAME=value lines (Linux /proc). */
export function gatewayStart(dataDir: string): { args: string[]; env: string[] } {
  const pid = stackFile(dataDir).gateway!;
  const read = (file: string) => readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\0');
  return { args: read('cmdline'), env: read('environ') };
}
