// Compiles native/sendfile.c into native/build/sendfile.node, with the C compiler (`cc`, or $CC)
// and the headers of the Node that runs this script (node_api.h and uv.h, which Node's packages
// install beside the binary: /usr/include/node, /usr/local/include/node). `npm ci` runs it (the
// install script of @nebula/shared), and so does `npm run build -w @nebula/shared`.
//
// It never fails the install: without a compiler or headers, it says so in one line and the fs
// driver serves range reads through Node's streams instead (src/storage/sendfile.ts). Without the
// source, or with NEBULA_SENDFILE=false, it builds nothing and says nothing. A build that is current
// for this source and this Node is kept.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'sendfile.c');
const out = join(here, 'build', 'sendfile.node');
const stamp = join(here, 'build', 'built-for');

// No source (the Docker build's first `npm ci`), or not wanted (the worker image serves no files).
if (!existsSync(source) || /^(false|0|no)$/.test(process.env.NEBULA_SENDFILE?.trim() ?? '')) process.exit(0);
if (process.platform !== 'linux') {
  console.log('nebula: sendfile is for Linux; range reads of the fs driver go through Node streams');
  process.exit(0);
}
const wanted = `${process.version} ${statSync(source).mtimeMs}`;
if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) process.exit(0);

const candidates = [process.env.NEBULA_NODE_HEADERS, join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node'];
const headers = candidates.find((dir) => dir && existsSync(join(dir, 'node_api.h')) && existsSync(join(dir, 'uv.h')));
if (!headers) {
  console.log(`nebula: sendfile.node not built: no Node headers (node_api.h, uv.h) in ${candidates.filter(Boolean).join(', ')}; range reads of the fs driver go through Node streams`);
  process.exit(0);
}
const cc = process.env.CC || 'cc';
mkdirSync(dirname(out), { recursive: true });
const partial = `${out}.${process.pid}`;
try {
  execFileSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', '-fvisibility=hidden', `-I${headers}`, source, '-o', partial], { stdio: ['ignore', 'pipe', 'pipe'] });
  renameSync(partial, out);
  writeFileSync(stamp, wanted);
} catch (error) {
  rmSync(partial, { force: true });
  const reason = error.code === 'ENOENT' ? `no C compiler (${cc}; apt-get install gcc libc6-dev)` : `${cc} failed`;
  console.log(`nebula: sendfile.node not built: ${reason}; range reads of the fs driver go through Node streams`);
  const output = error.code === 'ENOENT' ? '' : String(error.stderr ?? error.message).trim();
  if (output) console.log(output);
}
