import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, rm, unlink, utimes, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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

  it('makes the bundle again when its folder was removed', async () => {
    const first = await bundled(root, 'src/main.ts');
    await rm(dirname(fileURLToPath(first!)), { recursive: true });
    const again = await bundled(root, 'src/main.ts');
    expect(again).not.toBe(first);
    expect(await said(again)).toBe('one');
  });

  it('removes older bundles when it makes one, but keeps the newest three and those of the last hour', async () => {
    const minutesAgo = (minutes: number) => `build-${Date.now() - minutes * 60_000}-1`;
    const [recent, earlier, hourly, old, older] = [5, 10, 20, 120, 180].map(minutesAgo);
    for (const name of [recent, earlier, hourly, old, older]) await mkdir(join(root, 'dist', name!), { recursive: true });
    const current = basename(dirname(fileURLToPath((await bundled(root, 'src/main.ts'))!)));
    const left = (await readdir(join(root, 'dist'))).filter((name) => name.startsWith('build-'));
    expect(left.sort()).toEqual([current, recent, earlier, hourly].sort());
  });

  it('gives nothing to run when the sources cannot be bundled, so the caller runs them through tsx', async () => {
    expect(await said(await bundled(root, 'src/main.ts'))).toBe('one');
    await unlink(join(root, 'src', 'word.ts'));
    expect(await bundled(root, 'src/main.ts')).toBeUndefined();
  });
});

describe("the CLI's own bundle", () => {
  it('is made (the sources do not go to tsx), and a command loads neither Node’s fetch nor HTTP/2 (45–60 ms and 20 ms of every start)', async () => {
    const home = await mkdtemp(join(tmpdir(), 'nebula-bundle-cli-'));
    // A server that answers every request "not found", as a gateway would a folder that is not there.
    const server = createServer((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"statusCode":404,"code":"not_found","message":"no file or folder at /x"}'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const made = await bundled(fileURLToPath(new URL('..', import.meta.url)), 'src/main.tsx');
      expect(made).toMatch(/^file:.*\/cli\/dist\/build-[^/]+\/main\.mjs$/);
      // What Node loaded, said as the command exits.
      const report = join(home, 'loaded.cjs');
      await writeFile(report, "process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(process.moduleLoadList) + '\\n'));");
      const bin = fileURLToPath(new URL('../bin/nebula.js', import.meta.url));
      const run = await promisify(execFile)(process.execPath, ['--require', report, bin, 'ls', '/x'], {
        env: { ...process.env, NEBULA_SERVER: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, XDG_CONFIG_HOME: home, XDG_STATE_HOME: home },
      }).catch((error: { stdout: string; stderr: string }) => error);
      // The command read the answer (where the CLI once made a fetch Response of it).
      expect(run.stdout).toContain('"code":"not_found"');
      const loaded = JSON.parse(/LOADED (.*)/.exec(run.stderr)![1]!) as string[];
      expect(loaded.filter((name) => /http2|deps\/undici/.test(name))).toEqual([]);
    } finally {
      server.close();
      await rm(home, { recursive: true, force: true });
    }
  });
});
