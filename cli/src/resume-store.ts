import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Upload } from 'tus-js-client';

type UrlStorage = NonNullable<ConstructorParameters<typeof Upload>[1]['urlStorage']>;
type PreviousUpload = Awaited<ReturnType<UrlStorage['findAllUploads']>>[number];

interface StoredUpload extends Omit<PreviousUpload, 'urlStorageKey'> {
  fingerprint: string;
}

/** Entries older than this are dropped: the server expires unfinished uploads long before. */
const FORGET_AFTER_MS = 30 * 24 * 3600 * 1000;
const LOCK_STALE_MS = 10_000;

/**
 * Where tus upload URLs are remembered between runs, so a killed `nebula upload` resumes (a
 * tus-js-client UrlStorage). Not tus-js-client's own FileUrlStorage, because that one matches
 * fingerprints by prefix ("a.mp4" would find "a.mp4.bak"), rewrites the file in place (a kill at the
 * wrong moment leaves it empty) and has no types. Here: exact matches, each write goes to a
 * temporary file renamed over the old one, and a lock file keeps two nebula processes from
 * losing each other's entries.
 */
export class ResumeStore implements UrlStorage {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  async findAllUploads(): Promise<PreviousUpload[]> {
    const data = await this.read();
    return Object.entries(data).map(([key, entry]) => toPrevious(key, entry));
  }

  async findUploadsByFingerprint(fingerprint: string): Promise<PreviousUpload[]> {
    const data = await this.read();
    return Object.entries(data)
      .filter(([, entry]) => entry.fingerprint === fingerprint)
      .map(([key, entry]) => toPrevious(key, entry))
      .sort((a, b) => Date.parse(b.creationTime) - Date.parse(a.creationTime));
  }

  removeUpload(urlStorageKey: string): Promise<void> {
    return this.update((data) => {
      delete data[urlStorageKey];
    });
  }

  async addUpload(fingerprint: string, upload: PreviousUpload): Promise<string> {
    const key = `tus::${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const { urlStorageKey: _ignored, ...rest } = upload as PreviousUpload & { urlStorageKey?: string };
    await this.update((data) => {
      data[key] = { ...rest, fingerprint };
    });
    return key;
  }

  private async read(): Promise<Record<string, StoredUpload>> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    try {
      const value = JSON.parse(text) as unknown;
      return value && typeof value === 'object' ? (value as Record<string, StoredUpload>) : {};
    } catch {
      return {}; // unreadable: the uploads start over rather than fail
    }
  }

  /** Read-modify-write, one at a time in this process and under a lock file across processes. */
  private update(change: (data: Record<string, StoredUpload>) => void): Promise<void> {
    const run = this.queue.then(async () => {
      await mkdir(dirname(this.file), { recursive: true });
      const release = await lock(`${this.file}.lock`);
      try {
        const data = await this.read();
        change(data);
        const now = Date.now();
        for (const [key, entry] of Object.entries(data)) {
          // tus-js-client writes creationTime as Date#toString(), which Date.parse reads.
          if (now - Date.parse(entry.creationTime) > FORGET_AFTER_MS) delete data[key];
        }
        const temp = `${this.file}.${process.pid}.tmp`;
        await writeFile(temp, JSON.stringify(data, null, 1), { mode: 0o600 });
        await rename(temp, this.file);
      } finally {
        await release();
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function toPrevious(key: string, entry: StoredUpload): PreviousUpload {
  const { fingerprint: _fingerprint, ...rest } = entry;
  return { ...rest, urlStorageKey: key };
}

async function lock(path: string): Promise<() => Promise<void>> {
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.close();
      return () => unlink(path).catch(() => undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A process killed while holding the lock leaves it behind.
      const info = await stat(path).catch(() => null);
      if (info && Date.now() - info.mtimeMs > LOCK_STALE_MS) await unlink(path).catch(() => undefined);
      if (attempt > 200) throw new Error(`${path} is held by another nebula process; remove it if none is running`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
