import { describe, expect, it } from 'vitest';
import { JsonReporter, type TransferEventBase } from './json-reporter';

describe('JsonReporter', () => {
  const setup = () => {
    const lines: string[] = [];
    let now = 0;
    const reporter = new JsonReporter<TransferEventBase & Record<string, unknown>>((line) => lines.push(line), () => now);
    return { lines, reporter, at: (ms: number) => (now = ms) };
  };

  it('writes one JSON object per line', () => {
    const { lines, reporter } = setup();
    reporter.emit({ event: 'done', file: 'a.mp4', id: 'f1', sha256: 'ab' });
    expect(lines).toEqual(['{"event":"done","file":"a.mp4","id":"f1","sha256":"ab"}\n']);
  });

  it('sends at most four progress events a second per file, but always the last one', () => {
    const { lines, reporter, at } = setup();
    for (const [ms, bytes] of [
      [0, 1],
      [100, 2],
      [240, 3],
      [260, 4],
      [300, 5],
    ] as const) {
      at(ms);
      reporter.emit({ event: 'progress', file: 'a', bytes, total: 10 });
      reporter.emit({ event: 'progress', file: 'b', bytes, total: 5 });
    }
    const sent = lines.map((line) => JSON.parse(line) as { file: string; bytes: number });
    expect(sent.filter((e) => e.file === 'a').map((e) => e.bytes)).toEqual([1, 4]);
    // b reached its total at 300 ms: that one is not held back.
    expect(sent.filter((e) => e.file === 'b').map((e) => e.bytes)).toEqual([1, 4, 5]);
  });

  it('never holds back other events', () => {
    const { lines, reporter } = setup();
    reporter.emit({ event: 'resumed', file: 'a', offset: 5 });
    reporter.emit({ event: 'error', file: 'a', message: 'x' });
    expect(lines).toHaveLength(2);
  });
});
