import { StringDecoder } from 'node:string_decoder';
import type { DeployRecord } from '@nebula/contract';

/**
 * What the server's hooks say at the end of a deploy (hooks/deploy-lib.sh, print_record), read back
 * from the push output. The hook's last word is one JSON line, the deploy record; `git push` itself
 * exits 0 either way, so this is the only place the result can be learnt from.
 */
export type DeployOutcome =
  | { result: 'deployed'; commit: string; subject: string; release: string; seconds: number }
  | { result: 'failed'; reason: string }
  | { result: 'rolled_back'; commit: string; subject: string; release: string }
  | { result: 'rollback_failed'; reason: string }
  /** A later push moved main while this one waited for the lock: that push deploys instead. */
  | { result: 'superseded'; commit: string; by: string };

/** The record line as the hooks print it: a deploy record, or the two lines that have no record (superseded, no lock). */
type ResultLine = Omit<Partial<DeployRecord>, 'kind' | 'result'> & { kind: DeployRecord['kind']; result: DeployRecord['result'] | 'superseded'; supersededBy?: string };

function resultLine(line: string): ResultLine | null {
  if (!line.startsWith('{')) return null;
  try {
    const value = JSON.parse(line) as Partial<ResultLine> | null;
    if (!value || (value.kind !== 'push' && value.kind !== 'rollback') || typeof value.result !== 'string' || typeof value.commit !== 'string') return null;
    return value as ResultLine;
  } catch {
    return null;
  }
}

const short = (sha: string | null | undefined): string => (sha ?? '').slice(0, 7);

/** Why a deploy failed and what runs instead, in one line. */
function failureReason(record: ResultLine): string {
  const reason = record.reason ?? 'no reason given';
  if (record.result === 'rolled_back') {
    return record.kind === 'push' ? `${reason}; rolled back to ${short(record.previousCommit)}` : `${reason}; ${short(record.previousCommit)} runs again`;
  }
  return record.previousCommit ? `${reason}; the previous release did not come back healthy either` : `${reason}; nothing runs now`;
}

/** The outcome named by the last result line among `lines` (hook output, `remote: ` already removed), or null. */
export function deployOutcome(lines: readonly string[]): DeployOutcome | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const record = resultLine(lines[i]!.trim());
    if (!record) continue;
    const commit = short(record.commit);
    if (record.result === 'superseded') return { result: 'superseded', commit, by: short(record.supersededBy) };
    if (record.result === 'success') {
      const subject = record.subject ?? '';
      const release = record.release ?? '';
      return record.kind === 'push'
        ? { result: 'deployed', commit, subject, release, seconds: Math.round((record.durationMs ?? 0) / 1000) }
        : { result: 'rolled_back', commit, subject, release };
    }
    return { result: record.kind === 'push' ? 'failed' : 'rollback_failed', reason: failureReason(record) };
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
