import { mkdtemp, rm, unlink, utimes, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// @ts-expect-error bin/bundle.js is plain JavaScript, run by bin/nebula.js before any loader.
import { bundledCli } from '../bin/bundle.js';

const bundled = bundledCli as (root: string, entry: string) => Promise<string | undefined>;

/** A package of two modules, made as the CLI's sources are: what `said` holds comes from word.ts. */
describe('the bundled CLI (bin/bundle.js)', () => {
  let root: string;
  const said = async (url: string | undefined) => ((await import(url!)) as { said: string }).said;
  const word = (text: string) => writeFile(join(root, 'src', 'word.ts'), `export const word: string = '${text}';\n`);

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'nebula-bundle-'));
    await mkdir(join(root, 'src'));
    await writeFile(join(root, 'tsconfig.json'), '{}');
    await writeFile(join(root, 'src', 'main.ts'), `import { word } from './word';\nexport const said = word;\n`);
    await word('one');
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('runs the sources as they are: made once, made again when one of them changes', async () => {
    const first = await bundled(root, 'src/main.ts');
    expect(await said(first)).toBe('one');
    expect(await bundled(root, 'src/main.ts')).toBe(first);

    await word('two, longer');
    const second = await bundled(root, 'src/main.ts');
    expect(second).not.toBe(first);
    expect(await said(second)).toBe('two, longer');

    // Same size, saved later: an editor's save that keeps the length still counts.
    await word('owt, longer');
    const later = new Date(Date.now() + 5_000);
    await utimes(join(root, 'src', 'word.ts'), later, later);
    expect(await said(await bundled(root, 'src/main.ts'))).toBe('owt, longer');
  });

  it('gives nothing to run when the sources cannot be bundled, so the caller runs them through tsx', async () => {
    expect(await said(await bundled(root, 'src/main.ts'))).toBe('one');
    await unlink(join(root, 'src', 'word.ts'));
    expect(await bundled(root, 'src/main.ts')).toBeUndefined();
  });
});
