import { describe, expect, it } from 'vitest';
import type { NewNodeTokenDto } from '@nebula/contract';
import { joinCommand, newTokenLines, tokenRow } from './node-token';

const made: NewNodeTokenDto = {
  id: '3f9a1c2e',
  name: 'desk',
  token: `nbt_${'t'.repeat(43)}`,
  createdAt: '2026-12-03T08:00:00.000Z',
  createdBy: null,
  lastUsedAt: null,
  lastUsedBy: null,
};

describe('nebula node token', () => {
  it('prints the one command for the node, with the server as the CLI reaches it', () => {
    expect(joinCommand('http://100.101.1.1:8080/', made.token)).toBe(`npm run worker -- --server http://100.101.1.1:8080 --token ${made.token}`);
    const lines = newTokenLines(made, 'https://nebula.tail1234.ts.net');
    expect(lines[0]).toBe('join token 3f9a1c2e (desk): shown only now; `nebula node token --revoke 3f9a1c2e` takes it back.');
    expect(lines).toContain(`  npm run worker -- --server https://nebula.tail1234.ts.net --token ${made.token}`);
    expect(lines.at(-1)).toBe(`With Docker: NEBULA_SERVER_URL=https://nebula.tail1234.ts.net and NEBULA_JOIN_TOKEN=${made.token} in .env, then docker compose -f docker-compose.worker.yml up -d --build`);
  });

  it('warns when the CLI talks to the server on its own loopback address, which no other machine can use', () => {
    for (const server of ['http://127.0.0.1:8080', 'http://localhost:8080', 'http://[::1]:8080']) {
      expect(newTokenLines(made, server).at(-1)).toBe(`(${server} is this machine's own address: on the node, use the server's tailnet address or name instead)`);
    }
    expect(newTokenLines(made, 'http://100.101.1.1:8080').at(-1)).toMatch(/^With Docker/);
  });

  it('lists a token without the token: id, name, when made, last join', () => {
    const row = tokenRow({ ...made, lastUsedAt: '2026-12-03T09:00:00.000Z', lastUsedBy: 'desk' });
    expect(Object.keys(row)).toEqual(['id', 'name', 'made', 'last join']);
    expect(row.id).toBe('3f9a1c2e');
    expect(row['last join']).toMatch(/^2026-12-03 \d\d:00 \(desk\)$/);
    expect(tokenRow(made)['last join']).toBe('never');
    expect(JSON.stringify(tokenRow(made))).not.toContain('nbt_');
  });
});
