import { extname } from 'node:path';

/** Containers people record and download video in; a file here gets an HLS ladder. */
const VIDEO_EXTENSIONS = new Set(['.mp4', '.m4v', '.mov', '.mkv', '.webm', '.avi', '.wmv', '.flv', '.ts', '.mts', '.m2ts', '.3gp', '.mpg', '.mpeg', '.ogv', '.hevc', '.h264']);

export function isVideo(mime: string | null, name: string): boolean {
  if (mime?.startsWith('video/')) return true;
  return VIDEO_EXTENSIONS.has(extname(name).toLowerCase());
}
