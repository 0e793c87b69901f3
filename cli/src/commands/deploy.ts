import type { CommandContext } from '../context';
import { CliError, EXIT } from '../errors';
import { deployOutcome, remoteText } from '../deploy/deploy-output';
import { ServerRepo } from '../deploy/server-repo';

/**
 * nebula deploy: pushes HEAD to the server remote's main and follows the hook's output live. The
 * push itself succeeds even when the deploy fails (a post-receive hook cannot refuse it), so the
 * result comes from the hook's last DEPLOYED / DEPLOY FAILED line.
 */
export async function deploy(options: { remote: string }, context: CommandContext): Promise<number> {
  const { output } = context;
  const repo = await ServerRepo.open(process.cwd(), options.remote);
  const head = await repo.head();
  if (await repo.hasUncommittedChanges()) {
    const note = `uncommitted changes are not deployed: nebula deploy pushes the last commit, ${head.commit.slice(0, 7)}`;
    output.line(`note: ${note}`, { event: 'note', message: note });
  }
  output.line(`pushing ${head.commit.slice(0, 7)} "${head.subject}" to ${repo.remote} (${repo.url}) main`, { event: 'push', remote: repo.remote, url: repo.url, commit: head.commit, subject: head.subject });

  // Ctrl-C stops following, not the deploy: once the push is in, the server's hook goes on by itself.
  const stop = new AbortController();
  const interrupt = () => {
    if (stop.signal.aborted) process.exit(EXIT.interrupted); // a second Ctrl-C: leave now
    stop.abort(
      new CliError(`interrupted: if the push reached the server, the deploy goes on there; nebula deploys shows its result`, EXIT.interrupted, 'interrupted'),
    );
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  let pushed: { lines: string[]; upToDate: boolean };
  try {
    pushed = await repo.pushHeadToMain((line) => output.line(line, { event: 'output', line, remote: remoteText(line) !== null }), stop.signal);
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
  const { lines, upToDate } = pushed;
  const outcome = deployOutcome(lines.map(remoteText).filter((text): text is string => text !== null));

  if (!outcome) {
    if (upToDate) {
      output.line(`nothing to deploy: the server's main is already ${head.commit.slice(0, 7)}, and main names what runs`, { event: 'up_to_date', commit: head.commit });
      return EXIT.ok;
    }
    throw new CliError(`the push went through, but the server printed no deploy result: are Nebula's hooks installed there (hooks/install.sh)?`, EXIT.failed, 'no_deploy_result');
  }
  switch (outcome.result) {
    case 'deployed':
      output.line(`deployed ${outcome.commit} "${outcome.subject}" as releases/${outcome.release} in ${outcome.seconds} s`, { event: 'deployed', commit: head.commit, short: outcome.commit, subject: outcome.subject, release: outcome.release, seconds: outcome.seconds });
      return EXIT.ok;
    case 'superseded':
      output.line(`${outcome.commit} was not deployed: a later push (${outcome.by}) moved main while it waited, and that one deploys`, { event: 'superseded', commit: head.commit, by: outcome.by });
      return EXIT.ok;
    case 'failed':
      output.event({ event: 'deploy_failed', commit: head.commit, reason: outcome.reason });
      throw new CliError(`deploy failed: ${outcome.reason}`, EXIT.failed, 'deploy_failed');
    default:
      throw new CliError(`the server answered the push with "${JSON.stringify(outcome)}", which is not a deploy result`, EXIT.failed, 'no_deploy_result');
  }
}
