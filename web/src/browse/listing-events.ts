import { parentOf, subjectId, type EventType, type NebulaEvent } from '@nebula/contract';

/** Events that change what a folder lists. media.progress only moves a percentage, kept apart. */
export const LISTING_EVENTS = new Set<EventType>(['upload.completed', 'upload.rejected', 'file.moved', 'file.deleted', 'folder.created', 'media.queued', 'media.started', 'media.playable', 'media.ready', 'media.failed']);
/** Events after which a file's last transcoding percentage no longer holds. */
export const PROGRESS_ENDS = new Set<EventType>(['media.queued', 'media.started', 'media.ready', 'media.failed', 'file.deleted']);

/**
 * What an event means for the listing of `folder` on screen:
 * - `refresh`: it names a path in the folder (or the folder itself, or a folder above it), or it is
 *   about an entry listed there. An event that names no path counts, except media events.
 * - `after-load`: a media event about an entry the list does not hold yet, while a listing request
 *   is on its way. That request may have been answered before the event's change (a non-video
 *   fails within milliseconds of its upload): it is not the last word, so load once more after it.
 * - `ignore`: nothing on screen can change.
 */
export function listingImpact(event: NebulaEvent, folder: string, listed: ReadonlySet<string>, loading: boolean): 'refresh' | 'after-load' | 'ignore' {
  if (!LISTING_EVENTS.has(event.type)) return 'ignore';
  if (listed.has(subjectId(event.subject) ?? '')) return 'refresh';
  const paths = pathsOf(event);
  if (paths.length === 0) {
    if (!event.type.startsWith('media.')) return 'refresh';
    return loading ? 'after-load' : 'ignore';
  }
  return paths.some((p) => parentOf(p) === folder || p === folder || folder.startsWith(`${p}/`)) ? 'refresh' : 'ignore';
}

/** The paths an event names (a move names two; media events name one only when queued by an upload or a replay). */
function pathsOf(event: NebulaEvent): string[] {
  switch (event.type) {
    case 'file.moved':
      return [event.data.from, event.data.to];
    case 'upload.completed':
    case 'upload.rejected':
    case 'file.deleted':
    case 'folder.created':
      return [event.data.path];
    case 'media.queued':
      return event.data.path ? [event.data.path] : [];
    default:
      return [];
  }
}
