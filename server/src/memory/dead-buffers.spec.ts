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

  it('waits for twice the growth after a collection that found the buffers live, up to 64 MiB, and goes back to the step once one frees them', () => {
    const memory = buffers(0);
    const collection = collectDeadBuffers({ ...memory, stepBytes: 16 * MiB, everyMs: 250 });
    const grow = (to: number, live: number) => {
      memory.state.live = live;
      memory.state.bytes = to;
      vi.advanceTimersByTime(250);
    };
    const drop = (to: number) => grow(to, to); // V8 collected them on its own
    grow(20 * MiB, 20 * MiB); // all live: nothing freed
    expect(collection.collections).toBe(1);
    drop(0);
    grow(30 * MiB, 30 * MiB); // under 32 MiB above the floor: not yet
    expect(collection.collections).toBe(1);
    grow(33 * MiB, 33 * MiB); // nothing freed again: the step becomes 64 MiB
    expect(collection.collections).toBe(2);
    drop(0);
    grow(64 * MiB, 0);
    expect(collection.collections).toBe(2);
    grow(65 * MiB, 0); // 64 MiB is the most: freed
    expect(collection.collections).toBe(3);
    grow(17 * MiB, 0); // back to 16 MiB
    expect(collection.collections).toBe(4);
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
