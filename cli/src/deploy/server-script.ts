import type { ServerLocation } from './remote-url';

/** Quotes one word for a POSIX shell. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A path for a shell on the server. A leading "~" or "~name" is left unquoted, so the shell expands
 * it to that home folder ("~/" is written "$HOME"/); the rest is quoted.
 */
export function shellPath(path: string): string {
  // A login name as POSIX allows them (portable filename characters, not starting with "-").
  const home = /^~([A-Za-z0-9._][A-Za-z0-9._-]*)?(?=\/|$)/.exec(path);
  if (!home) return shellQuote(path);
  const base = home[1] ? `~${home[1]}` : '"$HOME"';
  const rest = path.slice(home[0].length).replace(/^\/+/, '');
  if (rest === '') return path.length > home[0].length ? `${base}/` : base;
  return `${base}/${shellQuote(rest)}`;
}

/**
 * A bash script that runs on the server, from the folder holding the installed scripts
 * (<runtime>/bin). install.sh puts a wrapper into <repo>/hooks/post-receive whose one line is
 * `exec <runtime>/bin/post-receive "$@"` (the path quoted with bash's printf %q), so the runtime
 * folder is read from there; a wrapper without that line means the default ~/nebula. A hook that
 * cannot be read ends the script with exit 127 and the reason on stderr. `runtime` skips all that
 * and names the folder.
 */
export function serverScript(repoPath: string, action: string, runtime?: string): string {
  if (runtime) return `bin=${shellPath(`${runtime.replace(/\/+$/, '')}/bin`)}; ${action}`;
  return [
    `hook=${shellPath(repoPath)}/hooks/post-receive`,
    `if [ ! -r "$hook" ]; then echo "cannot read $hook on the server: the remote must name the bare repo that hooks/install.sh set up (or give --runtime)" >&2; exit 127; fi`,
    `target=$(sed -n 's|^exec \\(.*\\) "\\$@"$|\\1|p' "$hook")`,
    // printf %q wrote the path for bash (it may use $'...'): eval under bash reads it back.
    `if [ -n "$target" ]; then eval "target=$target"; bin=\${target%/*}; else bin="$HOME/nebula/bin"; fi`,
    action,
  ].join('; ');
}

/** The action that runs rollback.sh with the arguments given after the script. */
export const ROLLBACK_ACTION = 'exec "$bin/rollback.sh" "$@"';

/** The action that prints the deploy records (history/deploys.jsonl beside bin/). */
export const RECORDS_ACTION = 'exec cat "$bin/../history/deploys.jsonl"';

/**
 * How to run a server script: under bash, on this machine for a local remote
 * (`bash -c <script> nebula <args>`), else over ssh as one remote command line that any login
 * shell reads alike. bash, not sh: the installed scripts are bash, and dash cannot read what
 * printf %q wrote. `sshCommand` is a shell command like GIT_SSH_COMMAND ("ssh",
 * "ssh -i ~/.ssh/deploy"): it is run by sh with the ssh arguments appended.
 */
export function scriptInvocation(location: ServerLocation, script: string, args: string[], sshCommand: string): { command: string; args: string[] } {
  if (location.kind === 'local') return { command: 'bash', args: ['-c', script, 'nebula', ...args] };
  const remote = ['bash', '-c', shellQuote(script), 'nebula', ...args.map(shellQuote)].join(' ');
  // Like git: [-p port] destination command (parseRemoteUrl refuses a host that looks like an option).
  const sshArgs = [...(location.port ? ['-p', String(location.port)] : []), location.destination, remote];
  return { command: 'sh', args: ['-c', `${sshCommand} "$@"`, 'nebula-ssh', ...sshArgs] };
}
