// The CLI bundled for Node: cli/src with @nebula/contract, @nebula/shared and the packages they use
// in ES modules under cli/dist, each command a chunk of its own (loaded when it runs). Run through
// tsx's loaders, every command spent 0.3-0.6 s more starting: `nebula --version` took 0.50-0.56 s
// (0.15 s bundled); a `nebula upload` made its first request after 0.89-1.03 s (0.35-0.37 s bundled,
// 0.47-0.53 s with the packages left to Node to load from node_modules, file by file).
//
// The bundle is made again whenever a source it was made from has changed (or is gone), so an
// edited source runs as it is now, as under tsx: cli/dist/current.json lists those files with their
// mtime and size, and checking them is a stat each (about 80). Packages count as one file,
// node_modules/.package-lock.json, which npm writes on every install.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Every bundle's entry; the chunks beside it are loaded from it. */
const ENTRY = 'main.mjs';
/**
 * When a bundle is made, older ones go, but not the newest few nor any made in the last hour: a
 * command still running from one may yet load one of its chunks (4 MB each).
 */
const KEEP_BUNDLES = 3;
const KEEP_BUNDLES_MS = 60 * 60 * 1000;

const cliRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * The file: URL of the bundled CLI's entry, made first if none is up to date with its sources;
 * undefined when it cannot be made here (a read-only checkout, esbuild missing), for the caller to
 * run the sources through tsx instead.
 */
export async function bundledCli(root = cliRoot, entry = 'src/main.tsx') {
  const dist = join(root, 'dist');
  try {
    const current = upToDate(root, dist);
    return pathToFileURL(current ?? (await bundle(root, dist, entry))).href;
  } catch {
    return undefined;
  }
}

/** The entry of the bundle cli/dist/current.json names, if none of the files it was made from changed. */
function upToDate(root, dist) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dist, 'current.json'), 'utf8'));
  } catch {
    return undefined;
  }
  for (const [path, mtimeMs, size] of manifest.inputs) {
    let stats;
    try {
      stats = statSync(join(root, path));
    } catch {
      return undefined;
    }
    if (stats.mtimeMs !== mtimeMs || stats.size !== size) return undefined;
  }
  const entry = join(dist, manifest.build, ENTRY);
  return existsSync(entry) ? entry : undefined;
}

/**
 * `undici` is Agent and request() without the rest of it (undici-lean.mjs); undici's own files are
 * bundled as they are. With it, and the CLI's sample hash imported without @nebula/shared's config
 * (zod), ten of each alternating here: `nebula upload` of 64 MiB took 0.55 s instead of 0.70 (0.49
 * against 0.57 in a quieter run of eight), `nebula ls /` 0.28 s instead of 0.36 (0.25 against 0.28).
 */
/** The namespace of the plugin's own modules, made in memory (not files to check for changes). */
const LEAN = 'undici-lean';

const undiciLean = {
  name: LEAN,
  setup(build) {
    // Only for the CLI's own sources: a package that imports undici gets all of it.
    build.onResolve({ filter: /^undici$/ }, ({ importer }) => (importer.split(/[\\/]/).includes('node_modules') ? undefined : { path: fileURLToPath(new URL('undici-lean.mjs', import.meta.url)) }));
    // undici's HTTP/2 client loads node:http2 when it is loaded (20 ms here, at every command's
    // start). It is used only when TLS negotiates h2, which undici offers only with allowH2, and the
    // CLI's Agent does not set it: HTTP/1.1 always.
    build.onResolve({ filter: /^\.\/client-h2\.js$/ }, ({ importer }) => (/undici[\\/]lib[\\/]dispatcher[\\/]client\.js$/.test(importer) ? { path: 'client-h2', namespace: LEAN } : undefined));
    build.onLoad({ filter: /^client-h2$/, namespace: LEAN }, () => ({
      contents: "module.exports = function connectH2() { throw new Error('HTTP/2 is not in the nebula CLI (its Agent speaks HTTP/1.1)') }",
      loader: 'js',
    }));
  },
};

async function bundle(root, dist, entry) {
  const { build } = await import('esbuild');
  const started = Date.now();
  // A folder of its own per bundle: two commands started at once both make one, and neither
  // rewrites a chunk the other is loading.
  const name = `build-${started}-${process.pid}`;
  const outdir = join(dist, name);
  mkdirSync(dist, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { main: entry },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir,
    outExtension: { '.js': '.mjs' },
    tsconfig: join(root, 'tsconfig.json'),
    metafile: true,
    logLevel: 'silent',
    // CommonJS packages call require(); in an ES module it has to be made.
    banner: { js: "import { createRequire as __nebulaCreateRequire } from 'node:module'; const require = __nebulaCreateRequire(import.meta.url);" },
    // Ink loads it only with DEV=true (React's devtools), and it is not installed.
    external: ['react-devtools-core'],
    plugins: [undiciLean],
  });
  // Paths in the metafile are relative to absWorkingDir; the workspace packages' sources are
  // outside the CLI's folder (../contract/src/...), and so are the tsconfig files the build read.
  // This file is one of them: a bundle made another way is made again.
  const sources = Object.keys(result.metafile.inputs).filter((path) => !path.split(/[\\/]/).includes('node_modules') && !path.startsWith(`${LEAN}:`));
  const others = [join(root, 'tsconfig.json'), join(root, '..', 'tsconfig.base.json'), join(root, '..', 'node_modules', '.package-lock.json'), fileURLToPath(import.meta.url)];
  const inputs = [...sources.map((path) => join(root, path)), ...others.filter((path) => existsSync(path))];
  const listed = [];
  let changedMeanwhile = false;
  for (const path of new Set(inputs)) {
    const stats = statSync(path);
    // A file saved while the bundle was being made may be in it as it was before: such a bundle
    // runs this once, and the next command makes another.
    if (stats.mtimeMs >= started) changedMeanwhile = true;
    listed.push([relative(root, path), stats.mtimeMs, stats.size]);
  }
  if (!changedMeanwhile) {
    const manifest = join(dist, `current.json.${process.pid}`);
    writeFileSync(manifest, JSON.stringify({ build: name, inputs: listed }));
    renameSync(manifest, join(dist, 'current.json'));
    removeOldBundles(dist, started);
  }
  return join(outdir, ENTRY);
}

function removeOldBundles(dist, now) {
  const bundles = readdirSync(dist)
    .map((name) => ({ name, made: Number(/^build-(\d+)-\d+$/.exec(name)?.[1]) }))
    .filter(({ made }) => made > 0)
    .sort((a, b) => b.made - a.made);
  for (const { name, made } of bundles.slice(KEEP_BUNDLES)) {
    if (now - made > KEEP_BUNDLES_MS) rmSync(join(dist, name), { recursive: true, force: true });
  }
}
