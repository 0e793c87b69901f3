/**
 * What the gateway serves for the web UI, decided without touching the disk. The UI's URLs are
 * `/`, `/browse/<folder path>`, `/watch/<file id>`, `/search?q=`, `/server` and `/deploys`; each gets the app shell (index.html), so a
 * reload or a shared link opens the same screen. Its files are Vite's hashed `/assets/*`. Nothing
 * else is claimed, so the web UI can never shadow `/api`, `/hls` or any route added later.
 */

/** Vite puts a content hash in every asset name: a changed file gets a new URL, so caching is forever. */
export const ASSET_CACHE = 'public, max-age=31536000, immutable';
/** The shell names the current hashed assets: it must be checked on every load. */
export const SHELL_CACHE = 'no-cache';

/** Vite's asset names (`index-3fA9_x.js`): one plain file name, nothing that could climb out of assets/. */
const ASSET_NAME = /^[\w-]+(\.[\w-]+)*\.[a-z0-9]+$/i;

/** The file name inside web/dist/assets for a request's wildcard, or null when it cannot be one. */
export function assetName(path: string | string[] | undefined): string | null {
  const name = Array.isArray(path) ? path.join('/') : (path ?? '');
  return ASSET_NAME.test(name) ? name : null;
}

/** Text formats worth gzipping on the way out (images and fonts are compressed already). */
export function isCompressible(name: string): boolean {
  return /\.(js|mjs|css|html|svg|json|map|txt)$/i.test(name);
}

export function acceptsGzip(acceptEncoding: string | string[] | undefined): boolean {
  const value = Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : (acceptEncoding ?? '');
  return value
    .split(',')
    .map((part) => part.trim().split(';'))
    .some(([coding, ...params]) => coding?.trim().toLowerCase() === 'gzip' && !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p)));
}

/** The page a browser gets at `/` when web/dist was never built: what happened and the one command that fixes it. */
export function missingBuildPage(distDir: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Nebula: the web UI is not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1d2330}code{background:#eef1f6;padding:.1rem .3rem;border-radius:4px}</style>
</head><body>
<h1>The web UI is not built</h1>
<p>The gateway is running, but it found no <code>index.html</code> in <code>${escapeHtml(distDir)}</code>.</p>
<p>Build it from the repository with <code>npm run build -w @nebula/web</code> and reload this page.
<code>npm start</code> and the gateway's Docker image build it for you.</p>
<p>The API works meanwhile: <a href="/api/health">/api/health</a>, <a href="/api/docs">/api/docs</a>.</p>
</body></html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
