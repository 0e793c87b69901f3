import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployRecord } from '@nebula/contract';
import { tempDir } from '../../ops/test-support/services';
import { startTestGateway, type TestGateway } from './gateway';

// Two records in the format hooks/post-receive appends (hooks/test/deploy.test.ts checks the hook writes exactly this).
const first: DeployRecord = {
  id: '20261101T100000Z-aaaaaaa', release: '20261101T100000Z-aaaaaaa', kind: 'push', commit: 'a'.repeat(40), subject: 'First', ref: 'refs/heads/main',
  result: 'success', startedAt: '2026-11-01T10:00:00Z', finishedAt: '2026-11-01T10:01:00Z', durationMs: 60000, log: 'logs/20261101T100000Z-aaaaaaa.log', previousCommit: null,
};
const second: DeployRecord = {
  ...first, id: '20261102T100000Z-bbbbbbb', release: '20261102T100000Z-bbbbbbb', commit: 'b'.repeat(40), subject: 'Broken "quote"',
  result: 'rolled_back', reason: 'gateway health check did not pass within 120 s', log: '../../etc/passwd', previousCommit: 'a'.repeat(40),
};

describe('GET /api/deploys', () => {
  let history: Awaited<ReturnType<typeof tempDir>>;
  let gw: TestGateway;

  beforeAll(async () => {
    history = await tempDir();
    await mkdir(join(history.path, 'logs'));
    await writeFile(join(history.path, 'deploys.jsonl'), `${JSON.stringify(first)}\nnot json\n${JSON.stringify(second)}\n`);
    await writeFile(join(history.path, 'logs', '20261101T100000Z-aaaaaaa.log'), '[10:00:00] build\nDEPLOYED aaaaaaa\n');
    gw = await startTestGateway('fs', { NEBULA_DEPLOY_HISTORY_DIR: history.path });
  });

  afterAll(async () => {
    await gw?.stop();
    await history?.remove();
  });

  it('lists the hook\u2019s records newest first, skipping lines that are not records', async () => {
    const res = await fetch(`${gw.url}/api/deploys`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([second, first]);
    expect(await (await fetch(`${gw.url}/api/deploys?limit=1`)).json()).toEqual([second]);
  });

  it('serves a deploy\u2019s log, and never a file outside the history folder', async () => {
    const log = await fetch(`${gw.url}/api/deploys/${first.id}/log`);
    expect(log.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await log.text()).toBe('[10:00:00] build\nDEPLOYED aaaaaaa\n');
    const escape = await fetch(`${gw.url}/api/deploys/${second.id}/log`);
    expect(escape.status).toBe(404);
  });

  it('answers an empty list where no hook ever deployed', async () => {
    const bare = await startTestGateway('fs');
    try {
      expect(await (await fetch(`${bare.url}/api/deploys`)).json()).toEqual([]);
    } finally {
      await bare.stop();
    }
  });
});
