import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Config } from '@nebula/shared';
import type { ObjectStorage } from '@nebula/shared/storage';
import { workDirPrefix } from './work-folders';

export interface LocalOriginal {
  path: string;
  release: () => Promise<void>;
}

/**
 * A local path ffmpeg can seek in. With the fs driver the object already is a file; with s3 it is
 * streamed to a temporary file first (an MP4 with its index at the end cannot be read as a stream).
 */
export class OriginalFiles {
  constructor(
    private readonly config: Config,
    private readonly storage: ObjectStorage,
  ) {}

  async open(key: string): Promise<LocalOriginal> {
    if (this.config.storage.driver === 'fs') {
      const path = join(this.config.storage.root, ...key.split('/'));
      await stat(path);
      return { path, release: async () => undefined };
    }
    const dir = await mkdtemp(join(tmpdir(), workDirPrefix('original')));
    const path = join(dir, 'original');
    try {
      await pipeline(await this.storage.get(key), createWriteStream(path));
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    return { path, release: () => rm(dir, { recursive: true, force: true }) };
  }
}
