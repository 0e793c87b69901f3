import { describe, expect, it } from 'vitest';
import type { UploadEvent } from '../upload-events';
import { UploadBoard } from './upload-board';

const MiB = 1024 * 1024;
const describeEvent = (event: UploadEvent) => `${event.event} ${'file' in event ? event.file : ''}`;

describe('UploadBoard', () => {
  it('shows a row per active file and a total with speed and time left', () => {
    const board = new UploadBoard();
    board.apply({ event: 'plan', files: 2, bytes: 300 * MiB, to: '/' }, 0, describeEvent);
    board.apply({ event: 'hashing', file: 'a.mp4', bytes: 50 * MiB, total: 100 * MiB }, 0, describeEvent);
    expect(board.view().rows).toEqual([{ file: 'a.mp4', phase: 'hashing', bytes: 50 * MiB, total: 100 * MiB, rate: null, eta: null }]);

    board.apply({ event: 'progress', file: 'a.mp4', bytes: 0, total: 100 * MiB }, 1_000, describeEvent);
    board.apply({ event: 'progress', file: 'a.mp4', bytes: 50 * MiB, total: 100 * MiB }, 2_000, describeEvent);
    const view = board.view();
    expect(view.rows[0]).toMatchObject({ phase: 'uploading', bytes: 50 * MiB, rate: 50 * MiB, eta: 1 });
    expect(view.total).toMatchObject({ bytes: 50 * MiB, total: 300 * MiB, files: 2, finished: 0 });
    expect(view.total.rate).toBe(25 * MiB); // 50 MiB over the two seconds since the plan
  });

  it('counts skipped and resumed bytes as done but not as speed', () => {
    const board = new UploadBoard();
    board.apply({ event: 'plan', files: 2, bytes: 200 * MiB, to: '/' }, 0, describeEvent);
    board.apply({ event: 'skipped', file: 's.mp4', id: 'f1', path: '/s.mp4', sha256: 'x', bytes: 100 * MiB, reason: 'same' }, 0, describeEvent);
    board.apply({ event: 'resumed', file: 'r.mp4', offset: 60 * MiB, total: 100 * MiB }, 0, describeEvent);
    board.apply({ event: 'progress', file: 'r.mp4', bytes: 70 * MiB, total: 100 * MiB }, 1_000, describeEvent);
    const view = board.view();
    expect(view.total.bytes).toBe(170 * MiB);
    expect(view.total.rate).toBe(10 * MiB);
    expect(view.lines).toEqual([{ key: 0, kind: 'skipped', text: 'skipped s.mp4' }]);
  });

  it('moves finished files from the rows to the lines', () => {
    const board = new UploadBoard();
    board.apply({ event: 'plan', files: 2, bytes: 20, to: '/' }, 0, describeEvent);
    board.apply({ event: 'progress', file: 'a', bytes: 5, total: 10 }, 0, describeEvent);
    board.apply({ event: 'progress', file: 'b', bytes: 5, total: 10 }, 0, describeEvent);
    board.apply({ event: 'done', file: 'a', id: '1', path: '/a', sha256: 'x', bytes: 10, sent: 10 }, 10, describeEvent);
    board.apply({ event: 'error', file: 'b', path: '/b', code: 'invalid_name', message: 'no' }, 10, describeEvent);
    const view = board.view();
    expect(view.rows).toEqual([]);
    expect(view.lines.map((line) => line.kind)).toEqual(['done', 'error']);
    expect(view.total).toMatchObject({ bytes: 15, finished: 2 });
  });
});
