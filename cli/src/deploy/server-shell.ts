import { spawn } from 'node:child_process';
import { CliError } from '../errors';
import { GitOutputLines } from './deploy-output';
import type { ServerLocation } from './remote-url';
import { scriptInvocation } from './server-script';

export interface ScriptResult {
  code: number;
  stdout: string[];
  stderr: string[];
}

/**
 * The ssh command: NEBULA_SSH_COMMAND, else what git pushes with (GIT_SSH_COMMAND, else the
 * checkout's core.sshCommand, so the same key is used), else ssh. Like git's, it is a shell
 * command; tests point it at a stand-in.
 */
export function sshCommand(env: Record<string, string | undefined> = process.env, configured?: string): string {
  return env.NEBULA_SSH_COMMAND || env.GIT_SSH_COMMAND || configured || 'ssh';
}

/** Runs one of the server's scripts (serverScript) over ssh, or here for a local remote, line by line. */
export class ServerShell {
  constructor(
    private readonly location: ServerLocation,
    private readonly cwd: string,
    private readonly ssh = sshCommand(),
  ) {}

  run(script: string, args: string[], onLine: (line: string, stream: 'stdout' | 'stderr') => void = () => undefined): Promise<ScriptResult> {
    const { command, args: argv } = scriptInvocation(this.location, script, args, this.ssh);
    const child = spawn(command, argv, { cwd: this.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const result: ScriptResult = { code: 0, stdout: [], stderr: [] };
    const follow = (stream: 'stdout' | 'stderr') => {
      const splitter = new GitOutputLines();
      const take = (lines: string[]) => {
        for (const line of lines) {
          result[stream].push(line);
          onLine(line, stream);
        }
      };
      child[stream].on('data', (chunk: Buffer) => take(splitter.push(chunk)));
      child[stream].on('end', () => take(splitter.end()));
    };
    follow('stdout');
    follow('stderr');
    return new Promise((resolve, reject) => {
      child.on('error', (error) => reject(new CliError(`could not run ${command}: ${error.message}`)));
      child.on('close', (code, signal) => {
        result.code = code ?? (signal ? 128 : 1);
        resolve(result);
      });
    });
  }
}
