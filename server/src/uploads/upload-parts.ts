import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { isStaleLeftover } from '@nebula/shared/runtime';
import { pageCacheFileWriter } from './upload-file-writers';

/** Part files are named `nebula-part-<pid of the gateway>-<uuid>`: see sweepPartFiles. */
const PART_FILE_PREFIX = 'nebula-part-';

/** A part of an upload, complete in its file and ready to be sent. */
export interface PartFile {
  path: string;
  bytes: number;
  /** Its place among the parts this stream was cut into, from 0. */
  index: number;
  /** The upload's offset just after the part. */
  end: number;
}

export interface PartCutter {
  partSize: number;
  /** Where part files wait to be sent. */
  directory: string;
  /** Waits for room for one more part file; the permit is given back once the part is sent or dropped. */
  room: () => Promise<{ release(): unknown }>;
  /**
   * Sends a part; false when the store already holds its bytes and it was not sent (they are not
   * counted). Its file is removed afterwards, whether the send succeeded or not.
   */
  send: (part: PartFile) => Promise<boolean>;
}

interface OpenPart {
  path: string;
  bytes: number;
  writer: ReturnType<typeof pageCacheFileWriter>;
  permit: { release(): unknown };
  failure?: Error;
}

/**
 * Cuts the bytes of a PATCH, from the upload's `offset` on, into part files of `partSize` (the last
 * may be shorter) and sends each as soon as it is complete, while the next one fills: what
 * @tus/s3-store's uploadParts does, written again for the reasons below. The part files are written
 * through the page cache (they are read back at once to be sent), by PositionalWriter.
 * - Leftovers: a request that broke off while its next part waited for room left that part's file in
 *   the temporary folder and its permit taken, for good (after enough of them, every upload would
 *   have waited forever). Here every part file is removed and every permit given back, on every path.
 * - What arrived is kept: when the request breaks off, the bytes of the part being filled are sent
 *   too (as an incomplete part when short of S3's minimum), so the client resumes after them, as on
 *   the fs driver, instead of resending up to a part. Like the short last part of any PATCH, it is
 *   sent only once the parts before it are in, and dropped if one of them failed.
 *
 * Resolves with the bytes sent (without a part the store said it already held). Rejects with the request's error if it broke off, or with the first
 * failed send, once every part in flight has settled.
 */
export async function sendInParts(source: Readable, offset: number, cutter: PartCutter): Promise<number> {
  const sends: Promise<number>[] = [];
  let sendFailure: Error | undefined;
  let end = offset;
  let part: OpenPart | undefined;
  const finish = (complete: OpenPart) => {
    end += complete.bytes;
    const sent = sendPart(complete, { path: complete.path, bytes: complete.bytes, index: sends.length, end }, cutter);
    sent.catch((error: Error) => (sendFailure ??= error));
    sends.push(sent);
  };

  let failure: unknown;
  let keepLast = true;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      let rest = chunk;
      while (rest.length > 0) {
        if (sendFailure) throw sendFailure;
        part ??= await openPart(cutter);
        const piece = rest.subarray(0, cutter.partSize - part.bytes);
        rest = rest.subarray(piece.length);
        part.bytes += piece.length;
        if (!part.writer.write(piece)) await once(part.writer, 'drain');
        if (part.bytes === cutter.partSize) {
          finish(part);
          part = undefined;
        }
      }
    }
  } catch (error) {
    failure = error;
    // Only a request that broke off leaves a part worth sending; a part whose send or file failed does not.
    keepLast = error !== sendFailure && part?.failure === undefined;
  }
  if (part) {
    // The short last part goes once every part before it is in: S3 counts an upload's offset from
    // the parts it holds, so a short part sent after a part that failed would make it skip the gap.
    const before = await Promise.allSettled(sends);
    if (part.bytes > 0 && keepLast && before.every((result) => result.status === 'fulfilled')) finish(part);
    else await dropPart(part);
  }
  const settled = await Promise.allSettled(sends);
  if (failure !== undefined) throw failure;
  let sent = 0;
  for (const result of settled) {
    if (result.status === 'rejected') throw result.reason;
    sent += result.value;
  }
  return sent;
}

async function openPart(cutter: PartCutter): Promise<OpenPart> {
  const permit = await cutter.room();
  const path = join(cutter.directory, `${PART_FILE_PREFIX}${process.pid}-${randomUUID()}`);
  try {
    await (await open(path, 'wx')).close();
  } catch (error) {
    await permit.release();
    throw error;
  }
  const part: OpenPart = { path, bytes: 0, writer: pageCacheFileWriter(path, 0), permit };
  part.writer.on('error', (error: Error) => (part.failure ??= error));
  return part;
}

async function sendPart(part: OpenPart, file: PartFile, cutter: PartCutter): Promise<number> {
  try {
    part.writer.end();
    await closed(part.writer);
    if (part.failure) throw part.failure;
    if (part.writer.bytesWritten !== part.bytes) throw new Error(`a part file took ${part.writer.bytesWritten} of its ${part.bytes} bytes`);
    return (await cutter.send(file)) ? part.bytes : 0;
  } finally {
    await removePart(part);
  }
}

async function dropPart(part: OpenPart): Promise<void> {
  part.writer.destroy();
  await closed(part.writer).catch(() => undefined);
  await removePart(part);
}

async function removePart(part: OpenPart): Promise<void> {
  await rm(part.path, { force: true }).catch(() => undefined);
  await part.permit.release();
}

/** Waits until the writer's file is closed (its last bytes written); rejects with the writer's error. */
async function closed(writer: OpenPart['writer']): Promise<void> {
  if (!writer.closed) await new Promise((done) => writer.once('close', done));
  if (writer.errored) throw writer.errored;
}

/**
 * Removes the part files a gateway left when it stopped without cleaning up (see isStaleLeftover):
 * part files of another gateway that still runs on the same machine are left alone. Resolves with
 * the count.
 */
export async function sweepPartFiles(directory: string, uptimeMs = process.uptime() * 1000): Promise<number> {
  let removed = 0;
  for (const name of await readdir(directory).catch(() => [] as string[])) {
    if (!name.startsWith(PART_FILE_PREFIX)) continue;
    const path = join(directory, name);
    const info = await stat(path).catch(() => null);
    if (!info || !isStaleLeftover(name, PART_FILE_PREFIX, Date.now() - info.mtimeMs, { uptimeMs })) continue;
    if (await rm(path, { force: true }).then(() => true, () => false)) removed++;
  }
  return removed;
}
