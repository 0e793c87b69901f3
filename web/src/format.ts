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
