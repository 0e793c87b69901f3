import { describe, expect, it } from 'vitest';
import { asciiFallback, dispositionFor } from './disposition';

describe('dispositionFor', () => {
  it('keeps an ASCII name as it is, with no extended parameter', () => {
    expect(dispositionFor('clip 01.mp4', 'inline')).toBe('inline; filename="clip 01.mp4"');
  });

  it('gives a pure-ASCII filename= and the real name in filename*=', () => {
    expect(dispositionFor('Café.txt', 'attachment')).toBe(`attachment; filename="Cafe.txt"; filename*=UTF-8''Caf%C3%A9.txt`);
    expect(dispositionFor('Überraschung 🎬.bin', 'inline')).toBe(`inline; filename="Uberraschung _.bin"; filename*=UTF-8''%C3%9Cberraschung%20%F0%9F%8E%AC.bin`);
  });

  it('never lets a byte above 0x7e into the header', () => {
    for (const name of ['東京.mp4', 'ÆØÅ ß.mov', 'naïve “quoted”.txt', 'a"b\\c.txt', 'ﬁle.txt']) {
      expect(dispositionFor(name, 'attachment'), name).toMatch(/^[\x20-\x7e]+$/);
    }
    expect(asciiFallback('東京.mp4')).toBe('__.mp4');
    expect(asciiFallback('a"b\\c.txt')).toBe('a_b_c.txt');
    expect(asciiFallback('ﬁle.txt')).toBe('file.txt');
  });
});
