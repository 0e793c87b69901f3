import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { servicesBuildIsStale } from './builds';

const WORKSPACES = ['contract', 'server/shared', 'server', 'worker'];
const STAMP = join('node_modules', '.cache', 'nebula', 'services-built');

describe('servicesBuildIsStale', () => {
  let root: string;
  const at = async (path: string, secondsAgo: number) => {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), 'x');
    await age(path, secondsAgo);
  };
  const age = async (path: string, secondsAgo: number) => {
    const time = new Date(Date.now() - secondsAgo * 1000);
    await utimes(join(root, path), time, time);
  };

  beforeEach(async () => {
    // A checkout whose sources last changed ten minutes ago, built whole a minute ago.
    root = await mkdtemp(join(tmpdir(), 'nebula-builds-'));
    for (const w of WORKSPACES) {
      await at(join(w, 'src', 'deep', 'part.ts'), 600);
      await at(join(w, 'package.json'), 600);
      await at(join(w, 'dist', 'deep', 'part.js'), 60);
      // A folder's time moves when a file is added to it or taken out.
      for (const dir of ['src', join('src', 'deep')]) await age(join(w, dir), 600);
    }
    await at('.swcrc', 600);
    await at('package-lock.json', 600);
    await at(STAMP, 60);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('leaves a whole build newer than all it is made from alone', async () => {
    expect(await servicesBuildIsStale(root)).toBe(false);
  });

  it('builds again after a source file, a package.json, .swcrc or the lock file changed, or a source was added', async () => {
    for (const changed of [join('server', 'shared', 'src', 'deep', 'part.ts'), join('worker', 'package.json'), '.swcrc', 'package-lock.json']) {
      await age(changed, 0);
      expect(await servicesBuildIsStale(root), changed).toBe(true);
      await age(changed, 600);
    }
    expect(await servicesBuildIsStale(root)).toBe(false);
    await at(join('server', 'src', 'new.ts'), 600);
    expect(await servicesBuildIsStale(root)).toBe(true);
  });

  it('builds again when no build finished whole (no stamp: never built, or cut short) or a dist is gone', async () => {
    await rm(join(root, STAMP));
    expect(await servicesBuildIsStale(root)).toBe(true);
    await at(STAMP, 60);
    await rm(join(root, 'server', 'dist'), { recursive: true });
    expect(await servicesBuildIsStale(root)).toBe(true);
  });
});
