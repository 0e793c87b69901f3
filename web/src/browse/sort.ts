import { compareNames, type EntryDto } from '@nebula/contract';

export type SortKey = 'name' | 'date' | 'size';
export interface Sort {
  key: SortKey;
  descending: boolean;
}

const SORT_STORAGE = 'nebula.sort';

/** The order the viewer chose last time, in this browser; by name otherwise. */
export function loadSort(): Sort {
  try {
    const saved = JSON.parse(localStorage.getItem(SORT_STORAGE) ?? '') as Sort;
    if (['name', 'date', 'size'].includes(saved.key)) return { key: saved.key, descending: Boolean(saved.descending) };
  } catch {
    // Nothing saved yet.
  }
  return { key: 'name', descending: false };
}

export function saveSort(sort: Sort): void {
  try {
    localStorage.setItem(SORT_STORAGE, JSON.stringify(sort));
  } catch {
    // Storage blocked (private mode, a policy): the order holds for this visit only.
  }
}

/** Folders first, then by the chosen key. */
export function sortEntries(entries: EntryDto[], sort: Sort): EntryDto[] {
  const compare = (a: EntryDto, b: EntryDto): number => {
    if (sort.key === 'date') return a.createdAt.localeCompare(b.createdAt);
    if (sort.key === 'size') return (a.size ?? 0) - (b.size ?? 0);
    return compareNames(a.name, b.name);
  };
  return [...entries].sort((a, b) => {
    if (a.kind !== b.kind) return a.kind === 'folder' ? -1 : 1;
    const order = compare(a, b) || compareNames(a.name, b.name);
    return sort.descending ? -order : order;
  });
}
