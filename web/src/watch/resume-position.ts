/**
 * Where the viewer left each video, kept in this browser (localStorage), so that coming back offers
 * "Resume at 12:34". Like Jellyfin and YouTube: a position near the start or the end is not worth
 * offering, and the list is bounded so it never grows without end.
 */
const KEY_PREFIX = 'nebula:position:';
/** Less than this far in: the viewer barely started; start over. */
export const RESUME_MIN_SECONDS = 2;
/** Within this much of the end: the viewer finished it. */
export const RESUME_END_MARGIN_SECONDS = 3;
/** Positions kept at most; the oldest go first. */
export const MAX_REMEMBERED = 200;

interface Remembered {
  seconds: number;
  savedAt: number;
}

/** The position worth offering for a file, or null. */
export function positionToResume(fileId: string, storage: Storage = localStorage): number | null {
  const remembered = read(storage, KEY_PREFIX + fileId);
  return remembered ? remembered.seconds : null;
}

/** Keeps `seconds` for the file, or forgets it when it is too near the start or the end to offer. */
export function rememberPosition(fileId: string, seconds: number, duration: number, storage: Storage = localStorage): void {
  const key = KEY_PREFIX + fileId;
  try {
    if (!worthResuming(seconds, duration)) {
      storage.removeItem(key);
      return;
    }
    storage.setItem(key, JSON.stringify({ seconds: Math.floor(seconds * 10) / 10, savedAt: Date.now() } satisfies Remembered));
    prune(storage);
  } catch {
    // Private browsing or a full quota: resuming is a convenience, playback goes on.
  }
}

export function worthResuming(seconds: number, duration: number): boolean {
  if (!Number.isFinite(seconds) || seconds < RESUME_MIN_SECONDS) return false;
  return !Number.isFinite(duration) || duration <= 0 || seconds < duration - RESUME_END_MARGIN_SECONDS;
}

/** 754 → "12:34", 3723 → "1:02:03". */
export function formatPosition(seconds: number): string {
  const whole = Math.floor(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

function read(storage: Storage, key: string): Remembered | null {
  try {
    const value = JSON.parse(storage.getItem(key) ?? 'null') as Partial<Remembered> | null;
    return value && typeof value.seconds === 'number' && typeof value.savedAt === 'number' ? { seconds: value.seconds, savedAt: value.savedAt } : null;
  } catch {
    return null;
  }
}

function prune(storage: Storage): void {
  const kept: { key: string; savedAt: number }[] = [];
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i);
    if (key?.startsWith(KEY_PREFIX)) kept.push({ key, savedAt: read(storage, key)?.savedAt ?? 0 });
  }
  if (kept.length <= MAX_REMEMBERED) return;
  kept.sort((a, b) => a.savedAt - b.savedAt);
  for (const { key } of kept.slice(0, kept.length - MAX_REMEMBERED)) storage.removeItem(key);
}
