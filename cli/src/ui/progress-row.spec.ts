import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { fitLabel } from './progress-row';

describe('a progress row’s label', () => {
  it('fills its width exactly, in terminal cells, so the bars of all rows line up', () => {
    for (const label of ['a.mp4', '旅行の動画.mp4', '🎬 trailer.mp4']) expect(stringWidth(fitLabel(label, 20))).toBe(20);
    expect(fitLabel('a.mp4', 8)).toBe('a.mp4   ');
  });

  it('keeps the end of a label too long for it (the file name), CJK ones included', () => {
    expect(fitLabel('/videos/holiday/beach.mp4', 12)).toBe('…y/beach.mp4');
    const cjk = fitLabel('/動画/二〇二六年の旅行の動画.mp4', 16);
    expect(stringWidth(cjk)).toBe(16);
    expect(cjk.trimEnd()).toMatch(/^….*の動画\.mp4$/);
  });

  it('shows a control character in a local file’s name as \\uXXXX', () => {
    expect(fitLabel('a\u001b[2J.mp4', 20).trimEnd()).toBe('a\\u001b[2J.mp4');
  });
});
