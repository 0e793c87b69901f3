import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntryDto } from '@nebula/contract';
import { startNebula, type RunningNebula } from '../test-support/nebula-process';
import { makeRandomFile, tempDir } from '../test-support/services';

const MiB = 1024 * 1024;

describe.each(['fs', 's3'] as const)('an upload survives the gateway being killed (%s driver)', (storage) => {
  let nebula: RunningNebula;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  let tmp: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    // The gateway's own TMPDIR, where the s3 driver keeps its part files.
    [dir, tmp] = await Promise.all([tempDir(), tempDir()]);
    nebula = await startNebula({ storage, env: { TMPDIR: tmp.path } });
  });

  afterAll(async () => {
    await nebula?.stop();
    await dir?.remove();
    await tmp?.remove();
  });

  it('resumes from what the gateway had stored before SIGKILL, and ends with the right sha256', async () => {
    const file = join(dir.path, 'movie.bin');
    const size = 200 * MiB;
    const sha256 = await makeRandomFile(file, size);

    let killed = false;
    let resumedAt = -1;
    const done = new Promise<void>((resolve, reject) => {
      const upload = new tus.Upload(createReadStream(file), {
        endpoint: `${nebula.url}/api/uploads`,
        uploadSize: size,
        chunkSize: 64 * MiB,
        // Long enough for the gateway to come back between attempts.
        retryDelays: [1000, 2000, 3000, 5000, 8000],
        metadata: { filename: 'movie.bin', sha256 },
        onProgress: (sent) => {
          if (!killed && sent > 70 * MiB) {
            killed = true;
            void (async () => {
              await nebula.killGateway();
              await nebula.startGateway();
              // What the restarted gateway says it has: where the client must continue from.
              const head = await fetch(upload.url!, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } });
              resumedAt = Number(head.headers.get('upload-offset'));
            })().catch(reject);
          }
        },
        onError: reject,
        onSuccess: () => resolve(),
      });
      upload.start();
    });
    await done;

    expect(killed).toBe(true);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThan(size);
    const entry = (await (await fetch(`${nebula.url}/api/files/lookup?path=/movie.bin`)).json()) as EntryDto;
    expect(entry).toMatchObject({ status: 'ready', size, sha256 });
    const res = await fetch(`${nebula.url}/api/files/${entry.id}/content`);
    const back = createHash('sha256');
    for await (const chunk of res.body!) back.update(chunk);
    expect(back.digest('hex')).toBe(sha256);
    // The part files the killed gateway left were removed by the one that came back.
    await expect.poll(async () => (await readdir(tmp.path)).filter((name) => name.startsWith('nebula-part-'))).toEqual([]);
  });
});
