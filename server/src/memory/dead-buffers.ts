/**
 * Full collections when the gateway's buffers pile up, sooner than V8 would run one itself.
 *
 * A buffer's memory lives outside V8's heap; it is given back when its small wrapper on the heap is
 * collected. A wrapper that lived through two young collections (a chunk waiting behind a busy
 * socket: an s3 upload's part read back to be sent at the S3 server's pace) has moved to the old
 * generation, and is collected by the next full collection only. V8 runs one for buffers after
 * they have grown by 64 MiB since the last (not a flag in V8 11.3), so on s3 the gateway carried up
 * to 45–60 MB of dead buffers, and malloc then kept that memory.
 *
 * Here the buffers' memory (`process.memoryUsage().arrayBuffers`) is read every `everyMs`, and a
 * full collection is run as soon as it is more than `stepBytes` above the lowest seen since the last
 * one. What is live stays: after a collection the floor is what remained, so many readers holding
 * buffers do not set it off again. Each costs a pause of the event loop (40–250 ms in a 2 GiB upload
 * to S3 here, 8–19 of them). Some free little: the buffers in use come and go (an s3 upload's parts
 * in flight held up to 30 MB at times). Doubling the step after such a collection (up to V8's
 * 64 MiB) spared a few pauses, but the gateway then peaked at 172–208 MB in ops/bench/upload.ts
 * (4 runs), against 160–168 MB without (6 runs): the step stays.
 */
export interface DeadBufferCollection {
  /** Full collections run so far. */
  readonly collections: number;
  stop(): void;
}

export interface DeadBufferOptions {
  /** Runs a full collection: V8's `gc`, exposed by `node --expose-gc`. */
  collect: () => void;
  /** The buffers' memory now, in bytes. */
  readBytes?: () => number;
  stepBytes?: number;
  everyMs?: number;
  /** Told of each collection: the buffers' bytes before and after, and how long it held the event loop. */
  onCollect?: (collection: { before: number; after: number; ms: number }) => void;
}

export const DEAD_BUFFER_STEP_BYTES = 16 * 1024 * 1024;
export const DEAD_BUFFER_CHECK_MS = 250;

export function collectDeadBuffers({ collect, readBytes = () => process.memoryUsage().arrayBuffers, stepBytes = DEAD_BUFFER_STEP_BYTES, everyMs = DEAD_BUFFER_CHECK_MS, onCollect }: DeadBufferOptions): DeadBufferCollection {
  let floor = readBytes();
  let collections = 0;
  const timer = setInterval(() => {
    const now = readBytes();
    // V8's own collections show as a drop: the floor follows.
    if (now < floor) floor = now;
    else if (now - floor > stepBytes) {
      const started = performance.now();
      collect();
      collections++;
      floor = readBytes();
      onCollect?.({ before: now, after: floor, ms: performance.now() - started });
    }
  }, everyMs);
  // Never what keeps the gateway running.
  timer.unref();
  return {
    get collections() {
      return collections;
    },
    stop: () => clearInterval(timer),
  };
}

/** V8's `gc`, when Node was started with --expose-gc (gatewayMemory gives it to a gateway on s3). */
export function exposedGc(): (() => void) | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? () => (gc as () => void)() : undefined;
}
