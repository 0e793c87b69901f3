#!/usr/bin/env node
// The `nebula` command.
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';

// undici parses HTTP with llhttp compiled to WebAssembly. V8 compiles it fast (Liftoff) and then
// again, optimised, on background threads, and Node waits for those compilations before it exits:
// every command that made a request sat idle for 0.2-0.3 s after its work was done (`nebula ls`
// took 0.9-1.0 s here, 0.7-0.9 s without the wait). The fast compile is enough for a parser that
// mostly counts body bytes (`nebula get` of 1 GiB is as fast). Set before undici loads; Bun has no V8.
if (!process.versions.bun) setFlagsFromString('--liftoff-only');

// https://no-color.org. Ink draws with chalk, which does not read NO_COLOR but does read
// FORCE_COLOR=0; it must be set before chalk loads. (The tables take their colour from Output.)
if (process.env.NO_COLOR) process.env.FORCE_COLOR = '0';

// Node runs the bundle of the sources (bin/bundle.js), made again when a source changed; where it
// cannot be made, or with NEBULA_CLI_BUNDLE=0 (stack traces then name the TypeScript lines), the
// sources themselves through tsx's loaders (both, because @nebula/contract and @nebula/shared are
// CommonJS TypeScript and the CLI is ESM). Bun runs TypeScript itself.
const bundled = process.versions.bun || process.env.NEBULA_CLI_BUNDLE === '0' ? undefined : await (await import('./bundle.js')).bundledCli();
if (bundled) {
  await import(bundled);
} else {
  if (!process.versions.bun) {
    // tsx reads the tsconfig of the working directory; the CLI's own (JSX for Ink) must apply
    // wherever nebula is run from.
    process.env.TSX_TSCONFIG_PATH = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
    (await import('tsx/cjs/api')).register();
    (await import('tsx/esm/api')).register({ tsconfig: process.env.TSX_TSCONFIG_PATH });
  }
  await import('../src/main.tsx');
}
