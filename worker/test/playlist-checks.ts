/** What the HLS integration tests share: running a program, recording published playlists, and an independent RFC 8216 reading. */
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import HLS from 'hls-parser';
import type { ObjectStorage } from '@nebula/shared/storage';

/** Runs a program to the end; never throws for a non-zero exit. */
export function run(program: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every version of every playlist a player could have fetched, in the order they were published. */
export function recordPlaylists(storage: ObjectStorage): { storage: ObjectStorage; versions: Map<string, string[]> } {
  const versions = new Map<string, string[]>();
  const recording: ObjectStorage = Object.create(storage) as ObjectStorage;
  recording.put = async (key, body, options) => {
    if (!key.endsWith('.m3u8')) return storage.put(key, body, options);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
    const text = Buffer.concat(chunks).toString('utf8');
    versions.set(key, [...(versions.get(key) ?? []), text]);
    return storage.put(key, Readable.from([Buffer.from(text)]), options);
  };
  return { storage: recording, versions };
}

/** An independent reading of RFC 8216 (hls-parser in strict mode throws on the rules it knows). */
export function strictParse(text: string): HLS.types.Playlist {
  HLS.setOptions({ strictMode: true, silent: true });
  return HLS.parse(text);
}
