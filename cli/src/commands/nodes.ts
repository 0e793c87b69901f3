import { type NodeAdvert } from '@nebula/contract';
import type { CommandContext } from '../context';
import { CliError, EXIT } from '../errors';

/** One node as a table row: what `nebula nodes` prints. Pure, for the tests. */
export function nodeRow(node: NodeAdvert, now: number): Record<string, string> {
  const hw = node.capabilities.hardware;
  // `assumed`: the worker could not read its device's limits with vainfo.
  const hardware = hw ? `${hw.kind}${hw.simulated ? ' (simulated)' : ''} ${hw.codecs.join('/')} ≤${hw.maxWidth}x${hw.maxHeight}${hw.limitsFrom === 'assumed' ? ' (assumed)' : ''}` : 'none';
  const seconds = Math.max(0, Math.round((now - Date.parse(node.lastHeartbeat)) / 1000));
  return {
    name: node.name,
    capabilities: `software, ${hardware}, ${node.capabilities.cores} cores`,
    job: node.jobs.map((j) => `${j.jobId}${j.queue === 'media' ? '' : ` (${j.queue})`}`).join(', ') || 'idle',
    heartbeat: `${seconds} s ago`,
    version: node.version,
  };
}

/** nebula nodes: the worker nodes whose heartbeat is current (GET /api/health's `nodes`). */
export async function nodes(context: CommandContext): Promise<void> {
  const { report } = await (await context.client()).health();
  if (!report) throw new CliError('the server answered the health check without a report: is it a Nebula gateway?', EXIT.failed, 'bad_response');
  const listed = report.nodes ?? [];
  if (context.output.json) {
    for (const node of listed) context.output.event({ event: 'node', ...node });
    return;
  }
  if (listed.length === 0) {
    context.output.line('no worker node is up: start one (npm start, docker compose up, or README "Adding a machine")');
    return;
  }
  const now = Date.now();
  const { printTable } = await import('../ui/table');
  printTable(
    listed.map((node) => nodeRow(node, now)),
    context.output,
    ['capabilities', 'job', 'name'],
  );
}
