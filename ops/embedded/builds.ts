import { existsSync } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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

/** The workspaces `npm start` runs from their dist folders (the gateway, the worker, what they import), compiled by SWC file by file. */
const SERVICE_WORKSPACES = [
  { dir: 'contract', name: '@nebula/contract' },
  { dir: 'server/shared', name: '@nebula/shared' },
  { dir: 'server', name: '@nebula/server' },
  { dir: 'worker', name: '@nebula/worker' },
];

/** Written by buildServices once a build of the services has finished: when they were last built whole. */
function servicesBuiltStamp(root: string): string {
  return join(root, 'node_modules', '.cache', 'nebula', 'services-built');
}

/**
 * True unless the gateway, the worker and what they import were built whole (buildServices) after
 * the last change to anything they are built from: their sources (a file added or removed too),
 * their package.json, .swcrc, the locked dependencies. Also true when a dist folder is missing.
 * SWC rewrites every file of a dist in place, so building when nothing changed is not harmless: a
 * gateway or worker starting from the same folder meanwhile (another `npm start`, a test) can read
 * a file while it is rewritten. That made a CI run's gateway fail to start (a module of AppModule
 * read as undefined) while another test's `npm start` rebuilt. A build cut short writes no stamp,
 * so the next start builds again.
 */
export async function servicesBuildIsStale(root: string): Promise<boolean> {
  const stamp = await stat(servicesBuiltStamp(root)).catch(() => null);
  if (!stamp || SERVICE_WORKSPACES.some(({ dir }) => !existsSync(join(root, dir, 'dist')))) return true;
  const sources = [
    ...SERVICE_WORKSPACES.flatMap(({ dir }) => [join(root, dir, 'src'), join(root, dir, 'package.json')]),
    join(root, '.swcrc'),
    join(root, 'package-lock.json'),
    // The sendfile addon and its build, which @nebula/shared's build runs.
    join(root, 'server', 'shared', 'native', 'sendfile.c'),
    join(root, 'server', 'shared', 'native', 'build.mjs'),
  ];
  const times = await Promise.all(sources.map(newestChange));
  return Math.max(...times) >= stamp.mtimeMs;
}

/** Compiles the gateway and the worker (and what they import) into their dist folders, then stamps the build (servicesBuildIsStale). */
export async function buildServices(root: string): Promise<void> {
  await run('npm', ['run', 'build', '--silent', ...SERVICE_WORKSPACES.flatMap(({ name }) => ['-w', name])], { cwd: root });
  await mkdir(dirname(servicesBuiltStamp(root)), { recursive: true });
  await writeFile(servicesBuiltStamp(root), `${new Date().toISOString()}\n`);
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
