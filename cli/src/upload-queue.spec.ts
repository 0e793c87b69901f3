import { describe, expect, it } from 'vitest';
import { parseConcurrency, UploadQueue } from './upload-queue';

/** A task the test finishes by hand, to control the order things happen in. */
function gate() {
  let open!: () => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('UploadQueue', () => {
  it('never runs more than `concurrency` items, and starts them in order', async () => {
    const gates = Array.from({ length: 5 }, gate);
    const started: number[] = [];
    const queue = new UploadQueue<number, number>(2);
    const run = queue.run([0, 1, 2, 3, 4], async (n) => {
      started.push(n);
      await gates[n]!.promise;
      return n * 10;
    });
    await tick();
    expect(started).toEqual([0, 1]);
    expect(queue.active).toBe(2);
    gates[1]!.open();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    expect(queue.active).toBe(2);
    gates[0]!.open();
    gates[2]!.open();
    await tick();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    gates[3]!.open();
    gates[4]!.open();
    const { outcomes, notStarted } = await run;
    expect(outcomes.map((o) => (o.ok ? o.value : null))).toEqual([0, 10, 20, 30, 40]);
    expect(notStarted).toEqual([]);
  });

  it('keeps going when one item fails, and reports every outcome in list order', async () => {
    const queue = new UploadQueue<string, string>(3);
    const { outcomes } = await queue.run(['a', 'bad', 'c'], async (s) => {
      if (s === 'bad') throw new Error('name refused');
      return s.toUpperCase();
    });
    expect(outcomes.map((o) => (o.ok ? o.value : (o.error as Error).message))).toEqual(['A', 'name refused', 'C']);
  });

  it('starts nothing new after stop(), and lists what never started', async () => {
    const gates = Array.from({ length: 4 }, gate);
    const queue = new UploadQueue<number, void>(2);
    const run = queue.run([0, 1, 2, 3], (n) => gates[n]!.promise);
    await tick();
    queue.stop();
    gates[0]!.open();
    gates[1]!.fail(new Error('aborted'));
    const { outcomes, notStarted } = await run;
    expect(outcomes.map((o) => [o.item, o.ok])).toEqual([
      [0, true],
      [1, false],
    ]);
    expect(notStarted).toEqual([2, 3]);
  });

  it('handles an empty list and more lanes than items', async () => {
    expect((await new UploadQueue(4).run([], async () => 1)).outcomes).toEqual([]);
    expect((await new UploadQueue<number, number>(8).run([1], async (n) => n)).outcomes).toEqual([{ item: 1, ok: true, value: 1 }]);
  });
});

describe('parseConcurrency', () => {
  it('takes 1 to 16 and explains anything else', () => {
    expect(parseConcurrency('4')).toBe(4);
    expect(() => parseConcurrency('0')).toThrow('--concurrency must be a whole number from 1 to 16, got "0"');
    expect(() => parseConcurrency('2.5')).toThrow(/whole number/);
    expect(() => parseConcurrency('lots')).toThrow(/whole number/);
  });
});
