import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendInParts, sweepPartFiles, type PartCutter, type PartFile } from './upload-parts';

const KiB = 1024;
const MiB = 1024 * KiB;

/** A request body as it arrives, in chunks of an odd size so no chunk lines up with a part. */
const chunked = (bytes: Buffer, chunk = 65_521) => Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk));

/** Room for `count` part files at once, as the s3 store's semaphore gives it; `taken` is what is out now. */
function room(count: number) {
  const waiting: (() => void)[] = [];
  const state = { taken: 0 };
  const acquire = async () => {
    while (state.taken >= count) await new Promise<void>((resolve) => waiting.push(resolve));
    state.taken += 1;
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        state.taken -= 1;
        waiting.shift()?.();
      },
    };
  };
  return { acquire, state };
}

describe('sendInParts', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nebula-parts-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** A cutter whose `send` keeps what each part file held (where the s3 store sends it to S3). */
  function cutter(partSize: number, options: { room?: ReturnType<typeof room>; send?: (part: PartFile) => Promise<boolean | void> } = {}) {
    const sent: { part: PartFile; bytes: Buffer }[] = [];
    const slots = options.room ?? room(4);
    const parts: PartCutter = {
      partSize,
      directory: dir,
      room: slots.acquire,
      send: async (part) => {
        const bytes = await readFile(part.path);
        if ((await options.send?.(part)) === false) return false;
        sent.push({ part, bytes });
        return true;
      },
    };
    return { parts, sent, slots };
  }

  it('cuts the bytes into parts of the part size (the last one shorter), each sent with its place and end, and leaves no file', async () => {
    const bytes = randomBytes(5 * MiB + 4321);
    const { parts, sent, slots } = cutter(2 * MiB);

    expect(await sendInParts(Readable.from(chunked(bytes)), 1000, parts)).toBe(bytes.length);

    sent.sort((a, b) => a.part.index - b.part.index);
    expect(sent.map((s) => [s.part.index, s.part.bytes, s.part.end])).toEqual([
      [0, 2 * MiB, 1000 + 2 * MiB],
      [1, 2 * MiB, 1000 + 4 * MiB],
      [2, MiB + 4321, 1000 + bytes.length],
    ]);
    expect(Buffer.concat(sent.map((s) => s.bytes)).equals(bytes)).toBe(true);
    expect(await readdir(dir)).toEqual([]);
    expect(slots.state.taken).toBe(0);
  });

  it('sends what arrived of a part when the request breaks off mid-part, so the client resumes after it', async () => {
    const bytes = randomBytes(3 * MiB);
    const { parts, sent, slots } = cutter(2 * MiB);
    const body = new PassThrough();
    const done = sendInParts(body, 0, parts);
    for (const chunk of chunked(bytes)) if (!body.write(chunk)) await new Promise((resolve) => body.once('drain', resolve));
    // Everything written has been taken once the body asks for more.
    await new Promise((resolve) => setTimeout(resolve, 100));
    body.destroy(new Error('client went away'));

    await expect(done).rejects.toThrow('client went away');
    sent.sort((a, b) => a.part.index - b.part.index);
    expect(sent.map((s) => s.part.bytes)).toEqual([2 * MiB, MiB]);
    expect(Buffer.concat(sent.map((s) => s.bytes)).equals(bytes)).toBe(true);
    expect(await readdir(dir)).toEqual([]);
    expect(slots.state.taken).toBe(0);
  });

  it('a request that breaks off while its next part waits for room leaves no part file and no room taken', async () => {
    const slots = room(2);
    let unblock!: () => void;
    const blocked = new Promise<void>((resolve) => (unblock = resolve));
    const { parts } = cutter(MiB, { room: slots, send: () => blocked });
    const body = new PassThrough();
    const done = sendInParts(body, 0, parts);
    const bytes = randomBytes(3 * MiB);
    for (const chunk of chunked(bytes)) body.write(chunk);
    // Two parts are on their way (slow), and the third waits for room.
    await expect.poll(async () => (await readdir(dir)).length).toBe(2);
    body.destroy(new Error('client went away'));
    unblock();

    await expect(done).rejects.toThrow('client went away');
    expect(await readdir(dir)).toEqual([]);
    expect(slots.state.taken).toBe(0);
  });

  it('stops at a part that could not be sent: fails with its error once the others have settled, and keeps no half part', async () => {
    const bytes = randomBytes(8 * MiB);
    const { parts, sent, slots } = cutter(MiB, {
      send: async (part) => {
        if (part.index === 1) throw new Error('S3 said no');
      },
    });
    const body = Readable.from(chunked(bytes));

    await expect(sendInParts(body, 0, parts)).rejects.toThrow('S3 said no');
    expect(body.destroyed).toBe(true);
    // Parts cut before the failure was known may have gone; none is a half part.
    expect(sent.every((s) => s.part.bytes === MiB)).toBe(true);
    expect(sent.length).toBeLessThan(8);
    expect(await readdir(dir)).toEqual([]);
    expect(slots.state.taken).toBe(0);
  });

  it('sends the short last part only once the parts before it are in, and not at all after one of them failed', async () => {
    const bytes = randomBytes(2 * MiB + 5000);
    let firstDone = false;
    const { parts, sent, slots } = cutter(MiB, {
      send: async (part) => {
        if (part.index === 0) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          firstDone = true;
          throw new Error('S3 said no');
        }
        // The second full part goes alongside the first; the short one would have to wait for it.
        if (part.bytes < MiB) expect(firstDone).toBe(true);
      },
    });

    await expect(sendInParts(Readable.from(chunked(bytes)), 0, parts)).rejects.toThrow('S3 said no');
    expect(sent.map((s) => s.part.index)).toEqual([1]);
    expect(await readdir(dir)).toEqual([]);
    expect(slots.state.taken).toBe(0);
  });

  it('does not count a part the store says it already holds', async () => {
    const { parts, sent } = cutter(MiB, { send: async (part) => part.bytes === MiB });

    expect(await sendInParts(Readable.from(chunked(randomBytes(2 * MiB + 100))), 0, parts)).toBe(2 * MiB);
    expect(sent.map((s) => s.part.bytes)).toEqual([MiB, MiB]);
  });

  it('a part file that cannot be made fails the write and gives its room back', async () => {
    const { parts, slots } = cutter(MiB);
    await rm(dir, { recursive: true });

    await expect(sendInParts(Readable.from(chunked(randomBytes(MiB))), 0, parts)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(slots.state.taken).toBe(0);
  });

  it('sweepPartFiles removes the part files of a gateway that no longer runs and its own from before it started, and nothing else', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid; // a process that has exited
    const running = spawn('sleep', ['30']);
    try {
      const uptimeMs = 1000;
      const startedAt = Date.now() - uptimeMs;
      const names = {
        gone: `nebula-part-${gone}-a`,
        running: `nebula-part-${running.pid}-b`,
        ownBefore: `nebula-part-${process.pid}-c`,
        ownSince: `nebula-part-${process.pid}-d`,
        other: 'notes.txt',
      };
      for (const name of Object.values(names)) await writeFile(join(dir, name), 'x');
      await utimes(join(dir, names.ownBefore), new Date(startedAt - 60_000), new Date(startedAt - 60_000));

      expect(await sweepPartFiles(dir, uptimeMs)).toBe(2);

      expect((await readdir(dir)).sort()).toEqual([names.running, names.ownSince, names.other].sort());
    } finally {
      running.kill();
    }
  });
});
