/**
 * An event's subject names what it is about: `file:<id>` or `folder:<id>`. Built and read only
 * here, so the format has one home.
 */
export type SubjectKind = 'file' | 'folder';

export const fileSubject = (id: string): string => `file:${id}`;
export const folderSubject = (id: string): string => `folder:${id}`;
/** The subject of an entry of either kind (a move or a delete names a file or a folder). */
export const entrySubject = (kind: SubjectKind, id: string): string => `${kind}:${id}`;

/** `file:<id>` → `{ kind: 'file', id }`; null for anything else. */
export function parseSubject(subject: string): { kind: SubjectKind; id: string } | null {
  const colon = subject.indexOf(':');
  const kind = subject.slice(0, colon);
  const id = subject.slice(colon + 1);
  if (colon < 0 || id === '' || (kind !== 'file' && kind !== 'folder')) return null;
  return { kind, id };
}

/** The entry id a subject names (of either kind), or null. */
export const subjectId = (subject: string): string | null => parseSubject(subject)?.id ?? null;

/** The file id a `file:<id>` subject names; null for a folder or anything else. */
export function fileIdOf(subject: string): string | null {
  const parsed = parseSubject(subject);
  return parsed?.kind === 'file' ? parsed.id : null;
}
