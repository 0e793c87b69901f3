import type { EntryDto } from '@nebula/contract';

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDate(iso: string): string {
  return dateFormat.format(new Date(iso));
}

export type Kind = 'folder' | 'video' | 'audio' | 'image' | 'document';

const VIDEO_EXTENSIONS = /\.(mp4|m4v|mov|mkv|webm|avi|ts|mts|m2ts|mpg|mpeg|wmv|flv|3gp)$/i;
const AUDIO_EXTENSIONS = /\.(mp3|m4a|aac|flac|wav|ogg|oga|opus)$/i;
const IMAGE_EXTENSIONS = /\.(jpe?g|png|gif|webp|avif|heic|svg)$/i;

/** What a person would call the entry, from its mime type (or its name when the type is generic). */
export function kindOf(entry: Pick<EntryDto, 'kind' | 'mime' | 'name'>): Kind {
  if (entry.kind === 'folder') return 'folder';
  const mime = entry.mime ?? '';
  if (mime.startsWith('video/')) return 'video';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime.startsWith('image/')) return 'image';
  if (VIDEO_EXTENSIONS.test(entry.name)) return 'video';
  if (AUDIO_EXTENSIONS.test(entry.name)) return 'audio';
  if (IMAGE_EXTENSIONS.test(entry.name)) return 'image';
  return 'document';
}

export const KIND_LABEL: Record<Kind, string> = { folder: 'Folder', video: 'Video', audio: 'Audio', image: 'Image', document: 'File' };

export function formatPercent(percent: number): string {
  return `${Math.max(0, Math.min(100, Math.floor(percent)))}%`;
}

/** A video's length as players show it: "0:06", "12:34", "1:02:03". */
export function formatLength(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const [h, m, rest] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(rest)}` : `${m}:${pad(rest)}`;
}

/** The length and picture size the worker's probe found, as words for a row: ["0:06", "854×480"]; [] before the probe. */
export function mediaFacts(entry: Pick<EntryDto, 'media'>): string[] {
  const media = entry.media;
  if (!media) return [];
  return [media.durationSeconds ? formatLength(media.durationSeconds) : '', media.width && media.height ? `${media.width}×${media.height}` : ''].filter(Boolean);
}
