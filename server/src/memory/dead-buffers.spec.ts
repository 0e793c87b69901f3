import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { collectDeadBuffers, exposedGc } from './dead-buffers';

const MiB = 1024 * 1024;

/** The buffers' memory as a gateway would see it: what the test sets, and a collection that frees the dead. */
function buffers(start: number) {
  const state = { bytes: start, live: start };
  return {
    state,
    readBytes: () => state.bytes,
    collect: vi.fn(() => {
      state.bytes = state.live;
    }),
  };
}

describe('collectDeadBuffers', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs a full collection once the buffers grew more than the step since the lowest seen, and not before', () => {
    const memory = buffers(10 * MiB);
    const onCollect = vi.fn();
    const collection = collectDeadBuffers({ ...memory, stepBytes: 16 * MiB, everyMs: 250, onCollect });
    memory.state.bytes = 26 * MiB; // 16 MiB above: not more than the step
    vi.advanceTimersByTime(1000);
    expect(memory.collect).not.toHaveBeenCalled();
    memory.state.bytes = 27 * MiB;
    vi.advanceTimersByTime(250);
    expect(memory.collect).toHaveBeenCalledTimes(1);
    expect(collection.collections).toBe(1);
    expect(onCollect).toHaveBeenCalledWith({ before: 27 * MiB, after: 10 * MiB, ms: expect.any(Number) });
    // Nothing grew since: no second collection.
    vi.advanceTimersByTime(5000);
    expect(collection.collections).toBe(1);
    collection.stop();
  });

  it("follows V8's own collections down, so the step counts from what they left", () => {
    const memory = buffers(40 * MiB);
    const collection = collectDeadBuffers({ ...memory, stepBytes: 16 * MiB, everyMs: 250 });
    memory.state.bytes = 5 * MiB; // V8 collected on its own
    vi.advanceTimersByTime(250);
    memory.state.live = 5 * MiB;
    memory.state.bytes = 30 * MiB; // under 40 + 16, but 25 MiB above what V8 left
    vi.advanceTimersByTime(250);
    expect(memory.collect).toHaveBeenCalledTimes(1);
    expect(memory.state.bytes).toBe(5 * MiB);
    collection.stop();
  });

  it('counts from what stayed live after a collection: buffers in use do not set it off again', () => {
    const memory = buffers(0);
    const collection = collectDeadBuffers({ ...memory, stepBytes: 16 * MiB, everyMs: 250 });
    // Fifty readers hold 30 MiB of buffers, with 10 MiB dead beside them.
    memory.state.live = 30 * MiB;
    memory.state.bytes = 40 * MiB;
    vi.advanceTimersByTime(250);
    expect(memory.collect).toHaveBeenCalledTimes(1);
    expect(memory.state.bytes).toBe(30 * MiB);
    memory.state.bytes = 44 * MiB;
    vi.advanceTimersByTime(2500);
    expect(memory.collect).toHaveBeenCalledTimes(1);
    memory.state.bytes = 47 * MiB;
    vi.advanceTimersByTime(250);
    expect(memory.collect).toHaveBeenCalledTimes(2);
    collection.stop();
  });

  it('stops checking once stopped', () => {
    const memory = buffers(0);
    const collection = collectDeadBuffers({ ...memory, stepBytes: MiB, everyMs: 250 });
    expect(vi.getTimerCount()).toBe(1);
    collection.stop();
    expect(vi.getTimerCount()).toBe(0);
    memory.state.bytes = 100 * MiB;
    vi.advanceTimersByTime(1000);
    expect(memory.collect).not.toHaveBeenCalled();
  });
});

describe('collectDeadBuffers, with V8 itself', () => {
  it('frees buffers that outlived two young collections, which V8 keeps until a full one', async () => {
    // What --expose-gc gives the gateway, here for this test process alone.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
    const arrayBuffers = () => process.memoryUsage().arrayBuffers;
    // From a full collection on, V8 itself waits for 64 MiB more of buffers before the next.
    gc();
    const collection = collectDeadBuffers({ collect: gc, everyMs: 20 });
    try {
      const atStart = arrayBuffers();
      // 24 MiB of chunks that waited long enough to reach the old generation, then died: all within
      // one turn of the event loop, so the collector only ever sees them dead.
      let chunks: Buffer[] | undefined = Array.from({ length: 24 }, () => Buffer.alloc(MiB, 1));
      gc({ type: 'minor' });
      gc({ type: 'minor' });
      expect(chunks.length).toBe(24);
      chunks = undefined;
      gc({ type: 'minor' });
      // Young collections alone leave them.
      expect(arrayBuffers() - atStart).toBeGreaterThan(23 * MiB);
      for (let waited = 0; collection.collections === 0 && waited < 5000; waited += 20) await sleep(20);
      expect(collection.collections).toBe(1);
      // V8 hands the memory back on a background thread, just after the collection.
      for (let waited = 0; arrayBuffers() - atStart > 8 * MiB && waited < 5000; waited += 20) await sleep(20);
      expect(arrayBuffers() - atStart).toBeLessThanOrEqual(8 * MiB);
    } finally {
      collection.stop();
    }
  });
});

describe('exposedGc', () => {
  it("is V8's gc when Node was started with --expose-gc, and nothing otherwise", () => {
    const global = globalThis as { gc?: unknown };
    const before = global.gc;
    try {
      const gc = vi.fn();
      global.gc = gc;
      exposedGc()!();
      expect(gc).toHaveBeenCalledTimes(1);
      delete global.gc;
      expect(exposedGc()).toBeUndefined();
    } finally {
      if (before === undefined) delete global.gc;
      else global.gc = before;
    }
  });
});
