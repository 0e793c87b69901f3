/**
 * Where things live in object storage. Both drivers (fs and s3) use the same keys, so a backup of one
 * restores into the other. Keys never start with a slash and never contain `..`.
 */
export const storageKeys = {
  original: (fileId: string) => `originals/${fileId}`,
  renditionPrefix: (fileId: string) => `hls/${fileId}/`,
  rendition: (fileId: string, name: string) => `hls/${fileId}/${name}`,
  /** The seek previews' WebVTT track, beside master.m3u8; its sprite sheets sit in the run's folder. */
  storyboard: (fileId: string) => `hls/${fileId}/storyboard.vtt`,
  poster: (fileId: string) => `posters/${fileId}.jpg`,
} as const;
