import { readdir, readFile, stat } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { putFile, type ObjectStorage } from '@nebula/shared/storage';

/** The URIs a playlist points at: segments, init files (EXT-X-MAP) and, in a master, variant playlists. */
export function playlistReferences(text: string): string[] {
  const refs: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      const uri = /URI="([^"]+)"/.exec(line);
      if (uri && /^#EXT-X-(MAP|MEDIA|I-FRAME-STREAM-INF)/.test(line)) refs.push(uri[1]!);
      continue;
    }
    refs.push(line);
  }
  return refs;
}

/** A master playlist whose variant URIs are moved under `prefix/` (the run's folder). */
export function prefixMasterPlaylist(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => {
      if (line.trim() === '') return line;
      if (line.startsWith('#')) return line.replace(/URI="([^"]+)"/, (_, uri: string) => `URI="${prefix}/${uri}"`);
      return `${prefix}/${line.trim()}`;
    })
    .join('\n');
}

/** Rewrites of ffmpeg's own playlists, applied to every version before it is published. */
export interface PlaylistCompletion {
  master?: (text: string) => string;
  variant?: (text: string) => string;
  /**
   * Throws when this run may no longer point the file at itself (another node took the job over):
   * asked right before the master playlist goes up.
   */
  fence?: () => Promise<void>;
}

/**
 * Publishes an HLS ladder while ffmpeg writes it: every sync uploads the segments each variant
 * playlist now lists (a segment is complete once it is listed), then that playlist, so a player
 * never sees a playlist that names a segment not yet in storage. The master playlist goes up
 * once every variant it names has its first segment, so playback can start before the ladder is
 * done. Everything lands under `<runPrefix>` (hls/<fileId>/<runId>/); the master, rewritten to
 * point into the run, at `masterKey` (hls/<fileId>/master.m3u8).
 */
export class HlsPublisher {
  private readonly uploaded = new Set<string>();
  private readonly published = new Map<string, string>();
  private masterPublished = false;
  private closed = false;
  private syncing: Promise<void> = Promise.resolve();
  /** The pass queued behind the one running, not started yet. */
  private waiting: Promise<void> | null = null;

  constructor(
    private readonly storage: ObjectStorage,
    private readonly localDir: string,
    private readonly runPrefix: string,
    private readonly masterKey: string,
    private readonly runId: string,
    /** What ffmpeg's playlists need before players see them (see completeMasterPlaylist and withTargetDuration). */
    private readonly complete: PlaylistCompletion = {},
    private readonly masterName = 'master.m3u8',
  ) {}

  get isMasterPublished(): boolean {
    return this.masterPublished;
  }

  /**
   * One pass; passes never overlap, and a sync asked for while one is already waiting to start
   * joins it (a pass sees everything on disk when it starts), so a slow store never piles them up.
   * A pass that failed fails only its own callers: the next one starts after it all the same (it was
   * chained on success alone, so one pass that met Postgres restarting failed every later sync with
   * that same error, and the job waited out an outage that had ended: ops/test/chaos.test.ts).
   */
  sync(): Promise<void> {
    if (this.waiting) return this.waiting;
    const next = this.syncing.catch(() => undefined).then(() => {
      this.waiting = null;
      return this.pass();
    });
    this.waiting = next;
    this.syncing = next;
    return next;
  }

  /**
   * Publishes nothing more, and resolves once the pass in flight (if any) has stopped: after this,
   * whatever this publisher put is in storage and nothing else will be, so it can be removed.
   */
  close(): Promise<void> {
    this.closed = true;
    return this.syncing.catch(() => undefined);
  }

  private async pass(): Promise<void> {
    if (this.closed) return;
    const playlists = (await listFiles(this.localDir)).filter((f) => f.endsWith('.m3u8') && f !== this.masterName);
    const ready = new Set<string>();
    // The rungs side by side: the master waits for the slowest rung's first segment, and a copied
    // 4K segment (10 MB or so) would otherwise hold up every rung listed after it.
    const outcomes = await Promise.allSettled(
      playlists.map(async (playlist) => {
        if (await this.publishVariant(playlist)) ready.add(playlist);
      }),
    );
    // Every upload of this pass has ended before the pass does (close() relies on it).
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
    if (this.masterPublished || this.closed) return;
    const master = await readFile(join(this.localDir, this.masterName), 'utf8').catch(() => null);
    if (!master) return;
    const variants = playlistReferences(master).filter((r) => r.endsWith('.m3u8'));
    if (variants.length > 0 && variants.every((v) => ready.has(posix.normalize(v)))) {
      await this.complete.fence?.();
      await this.storage.put(this.masterKey, Readable.from([Buffer.from(prefixMasterPlaylist(this.complete.master?.(master) ?? master, this.runId))]));
      this.masterPublished = true;
    }
  }

  /** A variant's new segments, then its playlist; whether it lists a media segment yet. */
  private async publishVariant(playlist: string): Promise<boolean> {
    const text = await readFile(join(this.localDir, playlist), 'utf8').catch(() => null);
    if (text === null) return false;
    const dir = posix.dirname(playlist);
    const refs = playlistReferences(text).map((ref) => posix.normalize(posix.join(dir, ref)));
    const segments = refs.filter((r) => !r.endsWith('.m3u8'));
    for (const file of segments) await this.uploadOnce(file);
    if (this.closed) return false;
    const shown = this.complete.variant?.(text) ?? text;
    if (this.published.get(playlist) !== shown) {
      await this.storage.put(`${this.runPrefix}${playlist}`, Readable.from([Buffer.from(shown)]));
      this.published.set(playlist, shown);
    }
    return segments.some((s) => !s.includes('init'));
  }

  private async uploadOnce(file: string): Promise<void> {
    if (this.uploaded.has(file) || this.closed) return;
    const path = join(this.localDir, file);
    if (!(await stat(path).catch(() => null))) return;
    await putFile(this.storage, `${this.runPrefix}${file}`, path);
    this.uploaded.add(file);
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
}
