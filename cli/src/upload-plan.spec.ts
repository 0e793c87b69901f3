import { describe, expect, it } from 'vitest';
import { planUpload, type LocalFile } from './upload-plan';

const file = (display: string, relative: string, size = 10): LocalFile => ({ display, absolute: `/home/me/${display}`, relative, size, mtimeMs: 1 });

describe('planUpload', () => {
  it('puts file arguments into the target folder', () => {
    const plan = planUpload([{ kind: 'file', file: file('clips/a.mp4', 'a.mp4', 5) }], '/videos/');
    expect(plan.folders).toEqual(['/videos']);
    expect(plan.files.map((f) => [f.display, f.folder, f.name, f.path])).toEqual([['clips/a.mp4', '/videos', 'a.mp4', '/videos/a.mp4']]);
    expect(plan.totalBytes).toBe(5);
  });

  it('keeps a folder argument as a folder of that name, with its structure, like cp -r', () => {
    const plan = planUpload(
      [
        {
          kind: 'folder',
          name: 'holiday',
          folders: ['day 1', 'day 2', 'day 2/raw', 'empty'],
          files: [file('holiday/top.jpg', 'top.jpg'), file('holiday/day 1/a.mp4', 'day 1/a.mp4'), file('holiday/day 2/raw/b.mov', 'day 2/raw/b.mov')],
        },
        { kind: 'file', file: file('notes.txt', 'notes.txt') },
      ],
      '/',
    );
    expect(plan.files.map((f) => f.path)).toEqual(['/holiday/top.jpg', '/holiday/day 1/a.mp4', '/holiday/day 2/raw/b.mov', '/notes.txt']);
    // Only the deepest folders: each is created with its parents.
    expect(plan.folders).toEqual(['/holiday/day 1', '/holiday/day 2/raw', '/holiday/empty']);
    expect(plan.totalBytes).toBe(40);
  });

  it('refuses two files that would land on the same path', () => {
    expect(() => planUpload([{ kind: 'file', file: file('a/x.mp4', 'x.mp4') }, { kind: 'file', file: file('b/x.mp4', 'x.mp4') }], '/')).toThrow(
      'two files would be uploaded to /x.mp4: a/x.mp4 and b/x.mp4',
    );
  });
});
