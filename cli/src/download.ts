import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { EntryDto } from '@nebula/contract';
import type { NebulaClient } from './api-client';
import { CliError } from './errors';
import { hashFileInto } from './hash';

export type DownloadEvent =
  | { event: 'resumed'; file: string; path: string; offset: number; total: number }
  | { event: 'restarted'; file: string; path: string; reason: string }
  | { event: 'progress'; file: string; bytes: number; total: number }
  | { event: 'done'; file: string; id: string; path: string; sha256: string; bytes: number; sent: number };

/** The ETag the gateway gives an original: its sha256, quoted. */
export const etagOf = (entry: EntryDto) => `"${entry.sha256}"`;

interface PartInfo {
  id: string;
  etag: string;
}

/**
 * Downloads a file to `out`, resumable: bytes go to `<out>.part` (with `<out>.part.json` saying
 * which version of the file they are), a rerun continues with `Range: bytes=N-` and `If-Range`,
 * and the sha256 of the whole is checked before the file is renamed into place. A 200 instead of
 * a 206 means the file changed on the server since: the partial copy is dropped.
 */
export async function download(client: NebulaClient, entry: EntryDto, out: string, emit: (event: DownloadEvent) => void): Promise<void> {
  if (entry.kind !== 'file' || entry.size === null || !entry.sha256) throw new CliError(`${entry.path} is a folder; nebula get downloads one file`);
  if (entry.status !== 'ready') throw new CliError(`${entry.path} is still being uploaded; try again when it is done`);
  const part = `${out}.part`;
  const infoFile = `${part}.json`;
  const total = entry.size;

  let offset = await partSize(part, infoFile, entry);
  if (offset > total) offset = await startOver(part, infoFile);
  if (offset > 0) emit({ event: 'resumed', file: out, path: entry.path, offset, total });

  const hash = createHash('sha256');
  let sent = 0;
  if (offset < total) {
    const response = await client.content(entry.id, { from: offset, ifRange: etagOf(entry) });
    if (offset > 0 && response.status !== 206) {
      const reason = response.status === 200 ? 'the file changed on the server since the partial download' : `the server answered ${response.status} to the range request`;
      emit({ event: 'restarted', file: out, path: entry.path, reason });
      if (response.status !== 200) {
        response.body.destroy();
        await startOver(part, infoFile);
        throw new CliError(`${entry.path}: ${reason}; the partial download was dropped, run it again`);
      }
      offset = await startOver(part, infoFile);
    } else if (offset > 0) {
      const start = Number(/^bytes (\d+)-/.exec(response.headers['content-range'] ?? '')?.[1]);
      if (start !== offset) {
        response.body.destroy();
        await startOver(part, infoFile);
        throw new CliError(`${entry.path}: the server sent bytes from ${start} instead of ${offset}; the partial download was dropped, run it again`);
      }
    } else if (response.status !== 200) {
      response.body.destroy();
      throw new CliError(`${entry.path}: the server answered ${response.status}`);
    }
    await writeFile(infoFile, JSON.stringify({ id: entry.id, etag: etagOf(entry) } satisfies PartInfo));
    if (offset > 0) await hashFileInto(hash, part, { end: offset });

    let position = offset;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        position += chunk.length;
        sent += chunk.length;
        emit({ event: 'progress', file: out, bytes: position, total });
        callback(null, chunk);
      },
    });
    try {
      await pipeline(response.body, count, createWriteStream(part, { flags: offset > 0 ? 'a' : 'w', highWaterMark: 1024 * 1024 }));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') throw new CliError(`disk full while writing ${out} (${position} of ${total} bytes kept in ${part}; free some space and run it again)`, 1, 'disk_full');
      throw error;
    }
  } else {
    await hashFileInto(hash, part, { end: total });
  }

  const digest = hash.digest('hex');
  const written = (await stat(part)).size;
  if (written !== total || digest !== entry.sha256) {
    await startOver(part, infoFile);
    throw new CliError(`${out}: the downloaded bytes do not match the server's (${written} bytes, sha256 ${digest.slice(0, 12)}… instead of ${total} bytes, ${entry.sha256.slice(0, 12)}…); the partial file was dropped, run it again`, 1, 'checksum_mismatch');
  }
  await rename(part, out);
  await rm(infoFile, { force: true });
  emit({ event: 'done', file: out, id: entry.id, path: entry.path, sha256: digest, bytes: total, sent });
}

/** Bytes of a partial download that belong to this version of the entry; 0 when there are none. */
async function partSize(part: string, infoFile: string, entry: EntryDto): Promise<number> {
  const size = await stat(part).then(
    (info) => info.size,
    () => 0,
  );
  if (size === 0) return 0;
  const info = await readFile(infoFile, 'utf8').then(
    (text) => JSON.parse(text) as PartInfo,
    () => null,
  );
  if (!info || info.id !== entry.id || info.etag !== etagOf(entry)) return startOver(part, infoFile);
  return size;
}

async function startOver(part: string, infoFile: string): Promise<0> {
  await rm(part, { force: true });
  await rm(infoFile, { force: true });
  return 0;
}
