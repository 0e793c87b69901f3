import { StringDecoder } from 'node:string_decoder';

/**
 * What the server's hooks print at the end of a deploy (hooks/deploy-lib.sh, run_deploy), read
 * back from the push output. The hook's last word is one of these lines; `git push` itself exits 0
 * either way, so this is the only place the result can be learnt from.
 */
export type DeployOutcome =
  | { result: 'deployed'; commit: string; subject: string; release: string; seconds: number }
  | { result: 'failed'; reason: string }
  | { result: 'rolled_back'; commit: string; subject: string; release: string }
  | { result: 'rollback_failed'; reason: string }
  /** A later push moved main while this one waited for the lock: that push deploys instead. */
  | { result: 'superseded'; commit: string; by: string };

const DEPLOYED = /^DEPLOYED ([0-9a-f]{4,40}) "(.*)" as releases\/(\S+) in (\d+) s$/;
const DEPLOY_FAILED = /^DEPLOY FAILED: (.+)$/;
const ROLLED_BACK = /^ROLLED BACK to ([0-9a-f]{4,40}) "(.*)" \(releases\/(\S+)\)$/;
const ROLLBACK_FAILED = /^ROLLBACK FAILED: (.+)$/;
const SUPERSEDED = /^main now points at ([0-9a-f]{4,40}) \(pushed after this one\); skipping ([0-9a-f]{4,40})/;

/** The outcome named by the last result line among `lines` (hook output, `remote: ` already removed), or null. */
export function deployOutcome(lines: readonly string[]): DeployOutcome | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    let m: RegExpExecArray | null;
    if ((m = DEPLOYED.exec(line))) return { result: 'deployed', commit: m[1]!, subject: m[2]!, release: m[3]!, seconds: Number(m[4]) };
    if ((m = DEPLOY_FAILED.exec(line))) return { result: 'failed', reason: m[1]! };
    if ((m = ROLLED_BACK.exec(line))) return { result: 'rolled_back', commit: m[1]!, subject: m[2]!, release: m[3]! };
    if ((m = ROLLBACK_FAILED.exec(line))) return { result: 'rollback_failed', reason: m[1]! };
    if ((m = SUPERSEDED.exec(line))) return { result: 'superseded', commit: m[2]!, by: m[1]! };
  }
  return null;
}

// eslint-disable-next-line no-control-regex
const ANSI_CLEAR_LINE = /\u001b\[K/g;

/**
 * Splits git's stderr into lines as a terminal would show them. Git ends progress updates with
 * "\r" and, on a terminal, ends sideband lines with ESC[K; both are line ends here.
 */
export class GitOutputLines {
  private partial = '';
  /** Bytes as they come from a pipe: a character (é, an emoji) may be cut between two chunks. */
  private readonly decoder = new StringDecoder('utf8');

  /** The complete lines in `chunk` (with what was left over from earlier chunks). */
  push(chunk: string | Buffer): string[] {
    const text = (this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk))).replace(ANSI_CLEAR_LINE, '');
    const parts = text.split(/\r\n|\r|\n/);
    this.partial = parts.pop() ?? '';
    // Git pads sideband lines with spaces to overwrite what a terminal showed before.
    return parts.map((line) => line.trimEnd()).filter((line) => line !== '');
  }

  /** What is left once the stream ended. */
  end(): string[] {
    const rest = (this.partial + this.decoder.end()).replace(ANSI_CLEAR_LINE, '');
    this.partial = '';
    return rest.trim() ? [rest.trimEnd()] : [];
  }
}

/** A line of `git push` output that came from the server's hooks, without its `remote: ` prefix; null for git's own lines. */
export function remoteText(line: string): string | null {
  const m = /^remote: ?(.*)$/.exec(line);
  return m ? m[1]!.trimEnd() : null;
}
