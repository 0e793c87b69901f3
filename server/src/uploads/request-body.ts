import type { IncomingMessage } from 'node:http';
import { finished } from 'node:stream';
import type { Staged, UploadBlocks } from './upload-file-writers';

/** How many bytes of a request body may wait for the store before the socket is paused. */
const BODY_HIGH_WATER_MARK = 1024 * 1024;

/**
 * A request's body as the web stream @tus/server reads it from, without a copy of every chunk.
 * srvx builds it with Readable.toWeb, which copies each socket chunk into a new Uint8Array (to
 * detach it from Buffer's shared pool). The chunks of an HTTP body are never pooled and nothing
 * here writes to them, so they go on as they are. In a profile of a 2 GiB upload to the fs driver
 * those copies (2 GiB, in 64 KiB pieces, 2.3 s) and the garbage collections they caused (5.3 s)
 * were about half of the CPU time of the gateway's main thread.
 * Backpressure as toWeb's: the socket is paused while 1 MiB waits; cancelling destroys the request.
 */
export function requestBody(req: IncomingMessage): ReadableStream<Uint8Array> {
  let onData: (chunk: Buffer) => void;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        onData = (chunk) => {
          controller.enqueue(chunk);
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        };
        req.on('data', onData);
        // As toWeb: the end, an error, or the client going away mid-body (a premature close).
        finished(req, (error) => {
          req.off('data', onData);
          try {
            if (error) controller.error(error);
            else controller.close();
          } catch {
            // Already cancelled: nobody reads any more.
          }
        });
        req.pause();
      },
      pull() {
        req.resume();
      },
      cancel(reason) {
        req.off('data', onData);
        req.destroy(reason instanceof Error ? reason : undefined);
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: BODY_HIGH_WATER_MARK }),
  );
}

/**
 * A request's body copied, as it arrives, into an upload's staging blocks (UploadBlocks), placed
 * where its bytes go in the file (the body starts at `offset`), and read as one chunk per block:
 * DirectFileWriter writes such a chunk to the disk from where it is. With the plain body, every
 * 64 KiB socket chunk went on its own through the streams between the request and the file (tus's
 * and the hash's) and was copied into a block at the end; here 4 MiB at a time go through them,
 * and the one copy is this one. 2 GiB `nebula upload`s to the fs driver, the gateway restarted
 * before each and the two alternating (11 and 12 uploads): the gateway used 4.3 s of CPU instead of
 * 4.7, and the upload took 4.7 s instead of 4.9 (medians).
 *
 * Backpressure by the blocks: the socket is paused while every block is full or on its way to the
 * disk; the blocks are read one at a time (nothing waits in the web stream's queue).
 *
 * A request that breaks off (the client went away) ends the body where it broke off, after the
 * blocks filled so far and the one being filled: tus stores what arrived, the hash sees it, and the
 * client resumes after it. An error would make tus drop what its streams still held; and tus must
 * not hear of the request's error either (UploadsService keeps it from tus), since on it tus cuts the
 * body off where it is, and here up to four blocks, 16 MiB, would still be on their way.
 *
 * `detach()` stops it touching the blocks: the request's server calls it before it releases them.
 */
export class StagedBody {
  readonly stream: ReadableStream<Uint8Array>;
  private position: number;
  private current: Staged | undefined;
  /** Blocks filled, in order, not read yet. */
  private readonly filled: Staged[] = [];
  /** The rest of a socket chunk that found no free block. */
  private waiting: Buffer | undefined;
  private ended = false;
  private detached = false;
  /** Wakes a read waiting for a block to fill (or the body to end). */
  private wake: (() => void) | undefined;
  private readonly onData = (chunk: Buffer) => {
    // The socket is paused while a chunk waits for a block: another one now would be a late one, kept after it.
    if (this.waiting) this.waiting = Buffer.concat([this.waiting, chunk]);
    else this.take(chunk);
  };

  constructor(
    private readonly req: IncomingMessage,
    private readonly blocks: UploadBlocks,
    offset: number,
  ) {
    this.position = offset;
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: () => {
          req.on('data', this.onData);
          req.resume();
          // The end, an error, or the client going away mid-body: the body ends where the bytes did.
          finished(req, () => {
            req.off('data', this.onData);
            this.ended = true;
            this.woken();
          });
        },
        pull: (controller) => this.pull(controller),
        cancel: (reason) => {
          this.detach();
          req.destroy(reason instanceof Error ? reason : undefined);
        },
      },
      new CountQueuingStrategy({ highWaterMark: 0 }),
    );
  }

  /** Stops taking the request's bytes into the blocks; what was not read is dropped. */
  detach(): void {
    this.detached = true;
    this.req.off('data', this.onData);
    this.waiting = undefined;
    this.woken();
  }

  private async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      if (this.detached) return;
      const next = this.filled.shift() ?? (this.ended && this.waiting === undefined ? this.rest() : undefined);
      if (next) return controller.enqueue(this.blocks.lend(next));
      if (this.ended && this.waiting === undefined) return controller.close();
      await new Promise<void>((wake) => (this.wake = wake));
    }
  }

  /** The block being filled when the body ended, if it holds any bytes (freed otherwise). */
  private rest(): Staged | undefined {
    const block = this.current;
    this.current = undefined;
    if (block && block.end === block.from) this.blocks.free(block);
    return block && block.end > block.from ? block : undefined;
  }

  private woken(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Copies a socket chunk into the blocks; when none is free, holds the rest and pauses the socket until one is. */
  private take(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      this.current ??= this.blocks.take(this.position);
      const block = this.current;
      if (!block) {
        this.waiting = chunk.subarray(at);
        this.req.pause();
        void this.blocks.freed().then(() => this.retake());
        return;
      }
      const n = chunk.copy(block.memory, block.end, at);
      block.end += n;
      at += n;
      this.position += n;
      if (block.end === block.memory.length) {
        this.filled.push(block);
        this.current = undefined;
        this.woken();
      }
    }
  }

  private retake(): void {
    const rest = this.waiting;
    this.waiting = undefined;
    if (this.detached || !rest) return;
    this.take(rest);
    if (this.waiting === undefined) {
      this.woken(); // the body may have ended meanwhile: the read waiting learns it
      if (!this.ended) this.req.resume();
    }
  }
}
