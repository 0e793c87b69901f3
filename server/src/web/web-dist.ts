import { createReadStream, type ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * web/dist as the gateway finds it. Compiled, this file is server/dist/web/web-dist.js; as source
 * (tests) it is server/src/web/web-dist.ts: both sit three levels below the repository root, as in
 * the Docker image (/app/server/dist/web, /app/web/dist).
 */
export function defaultWebDistDir(): string {
  return resolve(__dirname, '..', '..', '..', 'web', 'dist');
}

export interface WebFile {
  path: string;
  size: number;
  modified: Date;
  open: () => ReadStream;
}

/** Reads the built web UI from disk. Looked up per request, so a rebuild shows without a restart. */
export class WebDist {
  constructor(readonly dir: string) {}

  shell(): Promise<WebFile | null> {
    return this.file(join(this.dir, 'index.html'));
  }

  /** `name` is already checked by assetName(): a plain file name. */
  asset(name: string): Promise<WebFile | null> {
    return this.file(join(this.dir, 'assets', name));
  }

  private async file(path: string): Promise<WebFile | null> {
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) return null;
    return { path, size: info.size, modified: info.mtime, open: () => createReadStream(path) };
  }
}
