import { simpleGit, type SimpleGit } from 'simple-git';
import { redactUrl } from '@nebula/shared';
import { CliError, EXIT } from '../errors';
import { GitOutputLines } from './deploy-output';
import { parseRemoteUrl, RemoteUrlError, type ServerLocation } from './remote-url';
import { ServerShell, sshCommand } from './server-shell';

/** The laptop's checkout and its `server` remote, through simple-git: the one place that runs git. */
export class ServerRepo {
  /** The remote's URL with any password in it masked: the one to show. */
  readonly url: string;

  private constructor(
    private readonly git: SimpleGit,
    readonly topLevel: string,
    readonly remote: string,
    private readonly rawUrl: string,
  ) {
    this.url = redactUrl(rawUrl);
  }

  /** The checkout around `cwd` and its remote named `remote`; one-line errors when either is missing. */
  static async open(cwd: string, remote: string): Promise<ServerRepo> {
    const git = simpleGit({ baseDir: cwd });
    if (!(await git.checkIsRepo())) throw new CliError(`${cwd} is not in a git repository: run this from your Nebula checkout`, EXIT.usage, 'not_a_repository');
    const topLevel = (await git.revparse(['--show-toplevel'])).trim();
    const remotes = await git.getRemotes(true);
    const found = remotes.find((r) => r.name === remote);
    if (!found) {
      throw new CliError(
        `this checkout has no git remote named "${remote}": on the server, hooks/install.sh prints the line to add it (git remote add ${remote} ssh://you@server/...)`,
        EXIT.usage,
        'no_remote',
      );
    }
    return new ServerRepo(simpleGit({ baseDir: topLevel }), topLevel, remote, found.refs.push || found.refs.fetch);
  }

  /** Where the remote points; relative local paths are taken from the checkout's top folder, as git does. */
  location(): ServerLocation {
    try {
      const location = parseRemoteUrl(this.rawUrl);
      if (location.kind === 'local' && !location.path.startsWith('/')) return { kind: 'local', path: `${this.topLevel}/${location.path}` };
      return location;
    } catch (error) {
      if (error instanceof RemoteUrlError) throw new CliError(`remote "${this.remote}" (${this.url}): ${error.message}`, EXIT.usage, 'bad_remote');
      throw error;
    }
  }

  /** A shell on the server this remote points at, with the ssh command git would push with. */
  async shell(): Promise<ServerShell> {
    const configured = (await this.git.getConfig('core.sshCommand')).value;
    return new ServerShell(this.location(), this.topLevel, sshCommand(process.env, configured ?? undefined));
  }

  async head(): Promise<{ commit: string; subject: string }> {
    const out = await this.git.raw(['log', '-1', '--format=%H%x00%s', 'HEAD']).catch(() => '');
    const [commit, subject] = out.trim().split('\0');
    if (!commit) throw new CliError('this checkout has no commit yet: commit something to deploy', EXIT.usage, 'no_commit');
    return { commit, subject: subject ?? '' };
  }

  /** Whether tracked files have changes that are not committed (they are not deployed). */
  async hasUncommittedChanges(): Promise<boolean> {
    return !(await this.git.status(['--untracked-files=no'])).isClean();
  }

  /** The commit the server's main names, read with ls-remote; null when it has none. */
  async serverMain(): Promise<string | null> {
    const out = await this.git.listRemote([this.remote, 'refs/heads/main']);
    return out.trim().split(/\s+/)[0] || null;
  }

  /**
   * `git push <remote> HEAD:refs/heads/main`, handing every line git prints to `onLine` as it
   * arrives (the hook's output comes as `remote: ` lines). Resolves with all lines, and whether
   * the server's main was HEAD already (then no hook ran); a refused push
   * rejects with git's reason in one line. `signal` stops git (with SIGINT, as Ctrl-C would).
   */
  async pushHeadToMain(onLine: (line: string) => void, signal?: AbortSignal): Promise<{ lines: string[]; upToDate: boolean }> {
    const lines: string[] = [];
    const splitter = new GitOutputLines();
    const take = (found: string[]) => {
      for (const line of found) {
        lines.push(line);
        onLine(line);
      }
    };
    // simple-git pushes with --porcelain: git's own verdict on each ref ("!\t…\t[rejected] (fetch
    // first)") comes on stdout, kept apart for the failure's reason; stderr is what a user sees.
    const porcelain: string[] = [];
    const porcelainLines = new GitOutputLines();
    const git = (signal ? simpleGit({ baseDir: this.topLevel, abort: signal }) : this.git).outputHandler((command, stdout, stderr) => {
      if (command !== 'git') return;
      stderr.on('data', (chunk: Buffer) => take(splitter.push(chunk)));
      stderr.on('end', () => take(splitter.end()));
      stdout.on('data', (chunk: Buffer) => porcelain.push(...porcelainLines.push(chunk)));
      stdout.on('end', () => porcelain.push(...porcelainLines.end()));
    });
    let upToDate: boolean;
    try {
      const result = await git.push(this.remote, 'HEAD:refs/heads/main');
      upToDate = result.pushed.length > 0 && result.pushed.every((ref) => ref.alreadyUpdated);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const reason = pushFailure([...porcelain, ...lines], error);
      // ssh could not connect, or the remote is no repository: the same "unreachable" as rollback's.
      const unreachable = lines.some((line) => /Could not read from remote repository|^ssh: /.test(line));
      throw new CliError(`git push ${this.remote} failed: ${reason}`, unreachable ? EXIT.unreachable : EXIT.failed, unreachable ? 'unreachable' : 'push_failed');
    } finally {
      git.outputHandler(undefined);
    }
    return { lines, upToDate };
  }
}

/**
 * The line that says why git refused a push: a ref's verdict (porcelain, "!\t<ref>\t[rejected]
 * (fetch first)", or the human form "! [rejected] main -> main (fetch first)"); else ssh's own
 * complaint; else git's first fatal or error line that says more than "failed to push some refs"
 * or "Could not read from remote repository"; else the first line.
 */
export function pushFailure(lines: readonly string[], error: unknown): string {
  const text = lines.length ? lines : String((error as Error)?.message ?? error).split('\n');
  for (const line of text) {
    const porcelain = /^!\t[^\t]*\t\[((?:remote )?rejected)\]\s*(.*)$/.exec(line);
    if (porcelain) return `${porcelain[1]} ${porcelain[2]}`.trim();
    if (/^\s*! \[(remote )?rejected\]/.test(line)) return line.trim().replace(/^! /, '');
  }
  const ssh = text.find((line) => /^ssh: /.test(line));
  const fatal = text.filter((line) => /^(fatal|error): /.test(line));
  const telling = fatal.find((line) => !/failed to push some refs|Could not read from remote repository/.test(line));
  return (ssh ?? telling ?? fatal[0] ?? text.find((line) => line.trim()) ?? 'unknown error').trim();
}
