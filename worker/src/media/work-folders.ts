import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStaleLeftover, processRuns } from '@nebula/shared/runtime';

/** Work folders under the system's temporary folder: `<prefix><pid>-<random>` (see workDirPrefix). */
const PREFIXES = { hls: 'nebula-hls-', original: 'nebula-original-' } as const;

/**
 * The start of a work folder's name (for mkdtemp): named after the worker's pid, so a worker
 * starting on the same machine can tell the folders of a dead worker (removed) from those of a
 * live one (left alone).
 */
export function workDirPrefix(kind: keyof typeof PREFIXES, pid = process.pid): string {
  return `${PREFIXES[kind]}${pid}-`;
}
/**
 * What a folder under tmp is to a starting worker: kept (its worker is alive, or it is not ours),
 * or stale (left by a worker that died: SIGKILL, OOM, power cut; see isStaleLeftover). Pure, for the tests.
 */
export function isStaleWorkFolder(name: string, isAlive: (pid: number) => boolean, ageMs: number, ownUptimeMs = process.uptime() * 1000): boolean {
  const prefix = Object.values(PREFIXES).find((p) => name.startsWith(p));
  return prefix !== undefined && isStaleLeftover(name, prefix, ageMs, { isRunning: isAlive, uptimeMs: ownUptimeMs });
}

/** At start, removes the work folders (HLS output, downloaded originals) that dead workers left behind. */
@Injectable()
export class WorkFolders implements OnModuleInit {
  private readonly logger = new Logger('media');

  constructor(private readonly root: string = tmpdir()) {}

  async onModuleInit(): Promise<void> {
    const removed = await this.removeStale();
    if (removed.length > 0) this.logger.log(`removed ${removed.length} work folder(s) left by a stopped worker: ${removed.join(', ')}`);
  }

  async removeStale(): Promise<string[]> {
    const removed: string[] = [];
    for (const name of await readdir(this.root).catch(() => [])) {
      if (!Object.values(PREFIXES).some((p) => name.startsWith(p))) continue;
      const path = join(this.root, name);
      const info = await stat(path).catch(() => null);
      if (!info?.isDirectory() || !isStaleWorkFolder(name, processRuns, Date.now() - info.mtimeMs)) continue;
      await rm(path, { recursive: true, force: true });
      removed.push(name);
    }
    return removed;
  }
}

