import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashFileInto, sha256File } from './hash';

describe('sha256File', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nebula-hash-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('hashes the whole file and reports progress', async () => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    await writeFile(join(dir, 'a.bin'), data);
    const seen: number[] = [];
    const digest = await sha256File(join(dir, 'a.bin'), (bytes) => seen.push(bytes));
    expect(digest).toBe(createHash('sha256').update(data).digest('hex'));
    expect(seen.at(-1)).toBe(data.length);
  });

  it('knows the empty file', async () => {
    await writeFile(join(dir, 'empty'), '');
    expect(await sha256File(join(dir, 'empty'))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes a prefix, for a download that continues a partial file', async () => {
    await writeFile(join(dir, 'abc'), 'abcdef');
    const hash = createHash('sha256');
    expect(await hashFileInto(hash, join(dir, 'abc'), { end: 3 })).toBe(3);
    expect(hash.digest('hex')).toBe(createHash('sha256').update('abc').digest('hex'));
  });
});
