import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './processes';

/** What the web UI's build is made from: its own sources and settings, the locked dependencies, and the two shared files it imports. */
function webSources(root: string): string[] {
  return [
    join(root, 'web', 'src'),
    join(root, 'web', 'index.html'),
    join(root, 'web', 'vite.config.ts'),
    join(root, 'web', 'tsconfig.json'),
    join(root, 'web', 'package.json'),
    join(root, 'package-lock.json'),
    join(root, 'server', 'shared', 'src', 'api.ts'),
    join(root, 'server', 'shared', 'src', 'events.ts'),
  ];
}

async function newestChange(path: string): Promise<number> {
  const info = await stat(path).catch(() => null);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  const children = await readdir(path);
  const times = await Promise.all(children.map((child) => newestChange(join(path, child))));
  return Math.max(info.mtimeMs, ...times);
}

/** True when web/dist is missing or older than anything it is built from. */
export async function webBuildIsStale(root: string): Promise<boolean> {
  const built = join(root, 'web', 'dist', 'index.html');
  if (!existsSync(built)) return true;
  const builtAt = (await stat(built)).mtimeMs;
  const times = await Promise.all(webSources(root).map(newestChange));
  return Math.max(...times) > builtAt;
}

/**
 * Builds the web UI into web/dist (Vite: a second or two), always as production: a NODE_ENV
 * inherited from the caller (vitest sets `test`) would bundle React's development build.
 */
export async function buildWeb(root: string): Promise<void> {
  await run('npm', ['run', 'build', '--silent', '-w', '@nebula/web'], { cwd: root, env: { ...process.env, NODE_ENV: 'production' } });
}
