import { kindOf } from '../format';
import type { EntryDto } from '@nebula/contract';

/** How a folder that holds videos is shown: a poster grid, or the list every other folder gets. */
export type View = 'grid' | 'list';

const VIEW_STORAGE = 'nebula.view';

/** The view chosen last in this browser; the grid until one is chosen. */
export function loadView(): View {
  try {
    return localStorage.getItem(VIEW_STORAGE) === 'list' ? 'list' : 'grid';
  } catch {
    return 'grid';
  }
}

export function saveView(view: View): void {
  try {
    localStorage.setItem(VIEW_STORAGE, view);
  } catch {
    // Storage blocked (private mode, a policy): the choice holds for this visit only.
  }
}

/** A grid of posters only where there are posters to show: a folder with at least one video. */
export function holdsVideos(entries: readonly EntryDto[] | null): boolean {
  return entries?.some((entry) => kindOf(entry) === 'video') ?? false;
}
