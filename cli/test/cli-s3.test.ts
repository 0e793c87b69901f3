import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNebula } from '../../ops/test-support/nebula-process';
import { createS3User, removeBucket, s3Client } from '../../ops/test-support/s3-server';
import { makeRandomFile, tempDir } from '../../ops/test-support/services';
import { byEvent, cliHome, runCli, type CliEnvironment } from './cli-process';

/**
 * The CLI against a gateway on the s3 storage driver, the S3 server being the run's Ceph RGW:
 * uploads land in the bucket, and when S3 refuses one (a full store) the user hears why at once.
 */
describe('nebula, the CLI, against a gateway on the s3 storage driver (Ceph RGW)', () => {
  let work: { path: string; remove: () => Promise<void> };
  let home: string;

  beforeAll(async () => {
    [work, home] = await Promise.all([tempDir('nebula-cli-s3-'), cliHome()]);
  });

  afterAll(async () => {
    await work?.remove();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('uploads into folders, and the file comes back byte for byte', { timeout: 240_000 }, async () => {
    const nebula = await startNebula({ storage: 's3' });
    try {
      const env: CliEnvironment = { server: nebula.url, home };
      expect((await runCli(env, ['mkdir', '/s3/clips', '-p'])).code).toBe(0);
      const file = join(work.path, 'clip.bin');
      const sha256 = await makeRandomFile(file, 40 * 1024 * 1024);

      const up = await runCli(env, ['upload', file, '--to', '/s3/clips']);
      expect(up.code, up.stderr).toBe(0);

      const listed = await runCli(env, ['ls', '/s3/clips', '--json']);
      expect(listed.events).toEqual([expect.objectContaining({ name: 'clip.bin', status: 'ready', sha256 })]);
      const back = join(work.path, 'back.bin');
      expect((await runCli(env, ['get', '/s3/clips/clip.bin', '--output', back])).code).toBe(0);
      expect(createHash('sha256').update(await readFile(back)).digest('hex')).toBe(sha256);
    } finally {
      await nebula.stop();
    }
  });

  it('an upload the S3 server refuses (full) fails at once, in one line with the S3 error code, after one try', { timeout: 240_000 }, async () => {
    const full = await createS3User('cli-full', { maxBytes: 4 * 1024 * 1024 });
    const nebula = await startNebula({ storage: 's3', env: { S3_ACCESS_KEY: full.accessKey, S3_SECRET_KEY: full.secretKey } });
    try {
      const env: CliEnvironment = { server: nebula.url, home };
      const file = join(work.path, 'too-big.bin');
      await makeRandomFile(file, 8 * 1024 * 1024);

      const up = await runCli(env, ['upload', file, '--to', '/full']);

      expect(up.code).toBe(1);
      const error = up.events.find(byEvent('error'));
      expect(error).toMatchObject({ code: 'storage_refused', path: '/full/too-big.bin' });
      expect(String(error?.message)).toMatch(/^object storage is full \(\w+\) when trying to store the upload: free space there, or raise the quota of the S3 user$/);
      expect(up.stderr).toBe('nebula: 1 of 1 file failed\n');
      // One PATCH reached the store and was refused; the CLI did not keep trying.
      expect(nebula.output().match(/PATCH \/api\/uploads\/\S+ failed: object storage at/g)).toHaveLength(1);
    } finally {
      await nebula.stop();
      await removeBucket(s3Client(full), nebula.env.S3_BUCKET!);
    }
  });
});
