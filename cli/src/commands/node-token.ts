import { isIP } from 'node:net';
import type { NewNodeTokenDto, NodeTokenDto } from '@nebula/contract';
import type { CommandContext } from '../context';
import { CliError, EXIT } from '../errors';
import { formatTime } from '../format';

export interface NodeTokenOptions {
  name?: string;
  list?: boolean;
  revoke?: string;
}

/** The one command that makes another machine a worker node of `server`. Pure, for the tests. */
export function joinCommand(server: string, token: string): string {
  return `npm run worker -- --server ${server.replace(/\/$/, '')} --token ${token}`;
}

/** What `nebula node token` prints for a new token: the token's id, and what to run on the node. */
export function newTokenLines(made: NewNodeTokenDto, server: string): string[] {
  const host = new URL(server).hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';
  return [
    `join token ${made.id}${made.name ? ` (${made.name})` : ''}: shown only now; \`nebula node token --revoke ${made.id}\` takes it back.`,
    'On the new machine, in a clone of the same release as the server:',
    '',
    '  npm ci && npm run build -w @nebula/contract -w @nebula/shared -w @nebula/worker',
    `  ${joinCommand(server, made.token)}`,
    '',
    `With Docker: NEBULA_SERVER_URL=${server.replace(/\/$/, '')} and NEBULA_JOIN_TOKEN=${made.token} in .env, then docker compose -f docker-compose.worker.yml up -d --build`,
    ...(loopback ? [`(${server} is this machine's own address: on the node, use the server's tailnet address or name instead)`] : []),
  ];
}

export function tokenRow(token: NodeTokenDto): Record<string, string> {
  return {
    id: token.id,
    name: token.name ?? '',
    made: `${formatTime(token.createdAt)}${token.createdBy ? ` by ${token.createdBy}` : ''}`,
    'last join': token.lastUsedAt ? `${formatTime(token.lastUsedAt)}${token.lastUsedBy ? ` (${token.lastUsedBy})` : ''}` : 'never',
  };
}

/** nebula node token: a new join token and the command for the node; --list and --revoke <id> manage them. */
export async function nodeToken(options: NodeTokenOptions, context: CommandContext): Promise<void> {
  if ([options.list, options.revoke !== undefined, options.name !== undefined].filter(Boolean).length > 1) {
    throw new CliError('use one of --name, --list and --revoke at a time', EXIT.usage, 'usage');
  }
  const client = await context.client();
  if (options.revoke !== undefined) {
    await client.revokeNodeToken(options.revoke);
    context.output.line(`join token ${options.revoke} revoked: nodes using it are refused from their next request on`, { event: 'revoked', id: options.revoke });
    return;
  }
  if (options.list) {
    const tokens = await client.nodeTokens();
    if (context.output.json) {
      for (const token of tokens) context.output.event({ event: 'node-token', ...token });
      return;
    }
    if (tokens.length === 0) {
      context.output.line('no join tokens: `nebula node token` makes one');
      return;
    }
    const { printTable } = await import('../ui/table');
    printTable(tokens.map(tokenRow), context.output, ['made', 'last join', 'name']);
    return;
  }
  const made = await client.createNodeToken(options.name);
  if (context.output.json) {
    context.output.event({ event: 'node-token', ...made, command: joinCommand(client.server, made.token) });
    return;
  }
  for (const line of newTokenLines(made, client.server)) context.output.line(line);
}
