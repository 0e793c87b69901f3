import { describe, expect, it } from 'vitest';
import { entrySubject, fileIdOf, fileSubject, folderSubject, parseSubject, subjectId } from './subjects';

describe('event subjects', () => {
  it('name a file or a folder by id, and read back the same', () => {
    expect(fileSubject('f1')).toBe('file:f1');
    expect(folderSubject('d1')).toBe('folder:d1');
    expect(entrySubject('folder', 'd1')).toBe('folder:d1');
    expect(parseSubject(fileSubject('f1'))).toEqual({ kind: 'file', id: 'f1' });
    expect(subjectId(folderSubject('d1'))).toBe('d1');
  });

  it('tell a file apart from a folder, and refuse what is neither', () => {
    expect(fileIdOf('file:f1')).toBe('f1');
    expect(fileIdOf('folder:d1')).toBeNull();
    expect(parseSubject('deploy:abc')).toBeNull();
    expect(parseSubject('file:')).toBeNull();
    expect(subjectId('nothing')).toBeNull();
  });
});
