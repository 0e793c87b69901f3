import { createSHA256 } from 'hash-wasm';

/** 8 MiB per read: big enough to keep the hash busy, small enough for a phone's memory. */
const CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * sha256 of a file, read slice by slice: never more than one chunk in memory. (Web Crypto's
 * digest() takes the whole input at once, so it cannot do a 4K video.)
 */
export async function sha256File(file: Blob, onProgress: (bytes: number) => void, signal?: AbortSignal): Promise<string> {
  const hasher = await createSHA256();
  hasher.init();
  for (let offset = 0; offset < file.size; offset += CHUNK_BYTES) {
    if (signal?.aborted) throw new DOMException('hashing stopped', 'AbortError');
    const chunk = await file.slice(offset, Math.min(offset + CHUNK_BYTES, file.size)).arrayBuffer();
    hasher.update(new Uint8Array(chunk));
    onProgress(Math.min(offset + CHUNK_BYTES, file.size));
  }
  return hasher.digest('hex');
}
