import { simpleGit, type SimpleGit } from 'simple-git';
import { CliError, EXIT } from '../errors';
import { GitOutputLines } from './deploy-output';
import { parseRemoteUrl, RemoteUrlError, type ServerLocation } from './remote-url';

/** The laptop's checkout and its `server` remote, through simple-git: the one place that runs git. */
export class ServerRepo {
  private constructor(
    private readonly git: SimpleGit,
    readonly topLevel: string,
    readonly remote: string,
    readonly url: string,
  ) {}

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
      const location = parseRemoteUrl(this.url);
      if (location.kind === 'local' && !location.path.startsWith('/')) return { kind: 'local', path: `${this.topLevel}/${location.path}` };
      return location;
    } catch (error) {
      if (error instanceof RemoteUrlError) throw new CliError(`remote "${this.remote}" (${this.url}): ${error.message}`, EXIT.usage, 'bad_remote');
      throw error;
    }
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
    const git = (signal ? simpleGit({ baseDir: this.topLevel, abort: signal }) : this.git).outputHandler((command, _stdout, stderr) => {
      if (command !== 'git') return;
      stderr.on('data', (chunk: Buffer) => take(splitter.push(chunk.toString('utf8'))));
      stderr.on('end', () => take(splitter.end()));
    });
    let upToDate: boolean;
    try {
      const result = await git.push(this.remote, 'HEAD:refs/heads/main');
      upToDate = result.pushed.length > 0 && result.pushed.every((ref) => ref.alreadyUpdated);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new CliError(`git push ${this.remote} failed: ${pushFailure(lines, error)}`, EXIT.failed, 'push_failed');
    } finally {
      git.outputHandler(undefined);
    }
    return { lines, upToDate };
  }
}

/** The line that says why git refused a push. */
export function pushFailure(lines: readonly string[], error: unknown): string {
  const text = lines.length ? lines : String((error as Error)?.message ?? error).split('\n');
  const rejected = text.find((line) => /^\s*! \[(remote )?rejected\]/.test(line));
  if (rejected) return rejected.trim().replace(/^! /, '');
  const fatal = text.find((line) => /^(fatal|error): /.test(line));
  return (fatal ?? text.find((line) => line.trim()) ?? 'unknown error').trim();
}
