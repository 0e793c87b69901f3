import type { ServerLocation } from './remote-url';

/** Quotes one word for a POSIX shell. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A path for a POSIX shell on the server, with a leading "~/" left for the shell to expand. */
export function shellPath(path: string): string {
  if (path === '~') return '"$HOME"';
  if (path.startsWith('~/')) return `"$HOME"/${shellQuote(path.slice(2))}`;
  return shellQuote(path);
}

/**
 * A POSIX sh script that runs on the server, from the folder holding the installed scripts
 * (<runtime>/bin). install.sh puts a wrapper into <repo>/hooks/post-receive whose one line is
 * `exec <runtime>/bin/post-receive "$@"` (the path quoted with printf %q), so the runtime folder is
 * read from there; without it, the default ~/nebula. `runtime` skips that and names it.
 */
export function serverScript(repoPath: string, action: string, runtime?: string): string {
  if (runtime) return `bin=${shellPath(`${runtime.replace(/\/+$/, '')}/bin`)}; ${action}`;
  return [
    `bin=$(sed -n 's|^exec \\(.*\\)/post-receive "\\$@"$|\\1|p' ${shellPath(repoPath)}/hooks/post-receive 2>/dev/null)`,
    // The path was written with printf %q: eval reads it back as the shell wrote it.
    `if [ -n "$bin" ]; then eval "bin=$bin"; else bin="$HOME/nebula/bin"; fi`,
    action,
  ].join('; ');
}

/** The action that runs rollback.sh with the arguments given after the script. */
export const ROLLBACK_ACTION = 'exec "$bin/rollback.sh" "$@"';

/** The action that prints the deploy records (history/deploys.jsonl beside bin/). */
export const RECORDS_ACTION = 'exec cat "$bin/../history/deploys.jsonl"';

/**
 * How to run a server script: on this machine for a local remote (`sh -c <script> nebula <args>`),
 * else over ssh as one remote command line. `sshCommand` is a shell command like
 * GIT_SSH_COMMAND ("ssh", "ssh -i ~/.ssh/deploy"): it is run by sh with the ssh arguments appended.
 */
export function scriptInvocation(location: ServerLocation, script: string, args: string[], sshCommand: string): { command: string; args: string[] } {
  if (location.kind === 'local') return { command: 'sh', args: ['-c', script, 'nebula', ...args] };
  const remote = ['sh', '-c', shellQuote(script), 'nebula', ...args.map(shellQuote)].join(' ');
  // Like git: [-p port] destination command (parseRemoteUrl refuses a host that looks like an option).
  const sshArgs = [...(location.port ? ['-p', String(location.port)] : []), location.destination, remote];
  return { command: 'sh', args: ['-c', `${sshCommand} "$@"`, 'nebula-ssh', ...sshArgs] };
}
