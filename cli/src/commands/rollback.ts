import type { CommandContext } from '../context';
import { CliError, EXIT } from '../errors';
import { deployOutcome } from '../deploy/deploy-output';
import { scriptFailure, scriptReason } from '../deploy/script-failure';
import { ROLLBACK_ACTION, serverScript } from '../deploy/server-script';
import { ServerRepo } from '../deploy/server-repo';
import type { ScriptResult } from '../deploy/server-shell';

export interface RollbackOptions {
  remote: string;
  runtime?: string;
  list?: boolean;
}

/**
 * nebula rollback [<sha>]: runs the server's rollback.sh (hooks/rollback.sh, installed as
 * <runtime>/bin/rollback.sh) over ssh, or directly when the remote is a folder on this machine.
 * It redeploys a kept release through the same health gate as a push.
 */
export async function rollback(sha: string | undefined, options: RollbackOptions, context: CommandContext): Promise<number> {
  if (sha !== undefined && options.list) throw new CliError(`--list takes no commit: nebula rollback --list shows the kept releases, nebula rollback ${sha} goes back to one`, EXIT.usage, 'usage');
  if (sha !== undefined && !/^[0-9a-f]{4,40}$/i.test(sha)) throw new CliError(`not a commit sha: "${sha}" (4 to 40 hex digits, e.g. abc1234)`, EXIT.usage, 'usage');
  const { output } = context;
  const repo = await ServerRepo.open(process.cwd(), options.remote);
  const location = repo.location();
  const shell = await repo.shell();
  const args = options.list ? ['--list'] : sha ? [sha.toLowerCase()] : [];
  const where = location.kind === 'ssh' ? `over ssh on ${location.destination}` : `in ${location.path}`;
  if (!options.list) output.line(`rolling back ${sha ? `to ${sha}` : 'to the previous release'} ${where}`, { event: 'rollback', remote: repo.remote, url: repo.url, commit: sha ?? null });

  const result = await shell.run(serverScript(location.path, ROLLBACK_ACTION, options.runtime), args, (line, stream) => {
    if (options.list) return;
    if (stream === 'stdout') output.line(line, { event: 'output', line });
    else output.event({ event: 'output', line, stream });
  });

  if (options.list) {
    if (result.code !== 0) throw failure(result, repo.url);
    for (const line of result.stdout) {
      const [release, commit, current] = line.split(' ');
      output.line(line, { release, commit, current: current === 'current' });
    }
    return EXIT.ok;
  }

  const outcome = deployOutcome(result.stdout);
  if (result.code === 0) {
    if (outcome?.result === 'rolled_back') {
      output.event({ event: 'rolled_back', commit: outcome.commit, subject: outcome.subject, release: outcome.release });
    } else {
      output.event({ event: 'unchanged', message: result.stdout.at(-1) ?? '' });
    }
    return EXIT.ok;
  }
  if (outcome?.result === 'rollback_failed') {
    output.event({ event: 'rollback_failed', reason: outcome.reason });
    throw new CliError(`rollback failed: ${outcome.reason}`, EXIT.failed, 'rollback_failed');
  }
  throw failure(result, repo.url);
}

function failure(result: ScriptResult, url: string): CliError {
  const reason = scriptReason(result);
  if (/^no kept release of commit/.test(reason)) return new CliError(`rollback failed: ${reason.replace(/[;:]\s*kept releases:?$/, '')} (nebula rollback --list shows the kept ones)`, EXIT.notFound, 'not_found');
  return scriptFailure(result, 'rollback failed', url, 'rollback_failed');
}
