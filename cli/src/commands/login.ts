import { NebulaClient } from '../api-client';
import { normaliseServerUrl, writeConfig } from '../config';
import type { CommandContext } from '../context';

/** nebula login <server-url>: checks that a Nebula gateway answers there, then remembers it. */
export async function login(serverUrl: string, context: CommandContext): Promise<void> {
  const server = normaliseServerUrl(serverUrl);
  const client = new NebulaClient(server);
  try {
    const { status, report } = await client.health();
    const file = await writeConfig({ server });
    const failing = report ? Object.entries(report.checks).filter(([, check]) => check.state !== 'ok') : [];
    const health = status === 200 ? 'healthy' : `degraded (${failing.map(([name, check]) => `${name}: ${check.detail ?? check.state}`).join('; ') || 'see /api/health'})`;
    context.output.line(`logged in to ${server}: ${health}; saved in ${file}`, { event: 'login', server, healthy: status === 200, config: file });
  } finally {
    await client.close();
  }
}
