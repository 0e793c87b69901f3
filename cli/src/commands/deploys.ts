import type { DeployRecord } from '@nebula/contract';
import type { CommandContext } from '../context';
import { CliError, EXIT } from '../errors';
import { describeResult, parseDeployRecords, runningRecord } from '../deploy/deploy-records';
import { scriptFailure } from '../deploy/script-failure';
import { RECORDS_ACTION, serverScript } from '../deploy/server-script';
import { ServerRepo } from '../deploy/server-repo';
import { formatDuration, formatTime } from '../format';

export interface DeploysOptions {
  /** Read the history from the server's runtime folder through this git remote instead of the gateway. */
  remote?: string;
  runtime?: string;
  limit: number;
}

/**
 * nebula deploys: the deploy history, newest first. From the gateway (GET /api/deploys), or with
 * --remote straight from the server through the git remote, which works while the gateway is down.
 */
export async function deploys(options: DeploysOptions, context: CommandContext): Promise<void> {
  if (options.runtime !== undefined && !options.remote) {
    throw new CliError('--runtime needs --remote: it names the runtime folder on the server, which only --remote reads (the gateway knows its own)', EXIT.usage, 'usage');
  }
  let records: DeployRecord[];
  let running: DeployRecord | null = null;
  if (options.remote) {
    const repo = await ServerRepo.open(process.cwd(), options.remote);
    const location = repo.location();
    const shell = await repo.shell();
    const result = await shell.run(serverScript(location.path, RECORDS_ACTION, options.runtime), []);
    if (result.code !== 0) throw scriptFailure(result, `could not read the deploy history on ${repo.remote}`, repo.url, 'remote_failed');
    records = parseDeployRecords(result.stdout);
    running = runningRecord(records, await repo.serverMain());
    records = records.slice(0, options.limit);
  } else {
    records = await (await context.client()).deploys(options.limit);
    running = runningRecord(records, records.find((r) => r.result === 'success')?.commit ?? null);
  }

  if (context.output.json) {
    for (const record of records) context.output.event({ ...record, running: record === running });
    return;
  }
  if (records.length === 0) {
    context.output.line('no deploys yet: git push server main (or nebula deploy) makes the first');
    return;
  }
  const { printTable } = await import('../ui/table');
  printTable(
    records.map((record) => ({
      time: formatTime(record.startedAt),
      commit: `${record.commit.slice(0, 7)}${record === running ? ' *' : ''}`,
      subject: record.subject,
      kind: record.kind,
      result: describeResult(record),
      duration: formatDuration(record.durationMs / 1000),
    })),
    context.output,
    ['subject', 'result'],
  );
  if (running) context.output.line(`* runs now (releases/${running.release})`);
}
