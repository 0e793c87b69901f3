import { spawn } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { PreflightError, processRuns } from '@nebula/shared/runtime';
import { waitFor, waitForExit } from './processes';
import { Socket } from 'node:net';

export interface RedisServerOptions {
  dir: string;
  port: number;
  /** Append-only file on: what `npm start` uses so the queue survives restarts. Tests turn it off. */
  appendOnly: boolean;
  logFile: string;
}

/** Debian's redis-server, on 127.0.0.1 only, in its own process group so a terminal's Ctrl-C reaches only the supervisor. */
export class RedisServer {
  pid?: number;
  /** Called when the server exits after a successful start, unless stop() asked it to. */
  onExit?: (reason: string) => void;
  private stopping = false;

  constructor(readonly options: RedisServerOptions) {}

  get url(): string {
    return `redis://127.0.0.1:${this.options.port}`;
  }

  async start(): Promise<void> {
    const { dir, port, appendOnly, logFile } = this.options;
    await mkdir(dir, { recursive: true });
    const log = await open(logFile, 'a');
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'yes', '--dir', dir, '--appendonly', appendOnly ? 'yes' : 'no', '--save', '', '--daemonize', 'no', '--pidfile', join(dir, 'redis.pid')],
      { detached: true, stdio: ['ignore', log.fd, log.fd] },
    );
    this.pid = child.pid;
    let exited: string | undefined;
    this.stopping = false;
    let started = false;
    child.on('exit', (code, signal) => {
      exited = signal ?? `exit ${code}`;
      if (started && !this.stopping) this.onExit?.(exited);
    });
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e: NodeJS.ErrnoException) =>
        reject(e.code === 'ENOENT' ? new Error('redis-server is not installed (apt-get install redis-server)') : e),
      );
    });
    await log.close();
    child.unref();
    await spawned;
    await waitFor(`redis-server on port ${port}`, async () => {
      if (exited) throw new PreflightError(`redis-server stopped at start (${exited}); its log is ${logFile}`);
      return (await this.command('PING')) === '+PONG';
    }, 15_000, 20);
    started = true;
  }

  /** A SIGTERM makes redis flush its append-only file and exit cleanly. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (!this.pid || !processRuns(this.pid)) return;
    process.kill(this.pid, 'SIGTERM');
    if (!(await waitForExit(this.pid, 10_000))) process.kill(this.pid, 'SIGKILL');
  }

  /** One inline command over a raw socket: enough for PING without a client library. */
  command(line: string): Promise<string> {
    return new Promise((resolve) => {
      const socket = new Socket();
      let answer = '';
      socket.setTimeout(1000);
      socket.on('data', (d) => {
        answer += d.toString();
        if (answer.includes('\r\n')) socket.end();
      });
      socket.on('close', () => resolve(answer.trim()));
      socket.on('timeout', () => socket.destroy());
      socket.on('error', () => resolve(''));
      socket.connect(this.options.port, '127.0.0.1', () => socket.write(`${line}\r\n`));
    });
  }
}
