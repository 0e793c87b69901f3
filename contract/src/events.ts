/**
 * The event log's contract: every event type and the data it carries. The gateway and the worker
 * write events through these types, the CLI and the web UI read them back through the same ones: a
 * change to one event's data breaks the build of every producer and reader that disagrees.
 */
import type { DeployRecord } from './api';
import type { AccelPath, MediaStatus, TranscodeProgress } from './media';

/** What each event type carries in its `data`. */
export interface EventDataMap {
  /** The last byte landed and the declared sha256 (if any) matched: the file is ready. */
  'upload.completed': { path: string; size: number; sha256: string; mime: string | null };
  /** The bytes did not match the sha256 the uploader declared: the upload is refused. */
  'upload.rejected': { path: string; size: number; declared: string; actual: string };
  /** A file or folder (its subject says which) moved or was renamed. */
  'file.moved': { from: string; to: string };
  /** A file or folder (with `files` files below it) was deleted. */
  'file.deleted': { path: string; files: number };
  'folder.created': { path: string };
  /**
   * A video waits for the worker. Queued by an upload (`path`), by a replay (`path`, `replayOf`:
   * the upload.completed event's id), by a retry after a failed attempt (`retryOf`: that attempt,
   * `reason`: why it failed), or by start-up recovery (`recovered`, `was`: the state it was stuck in).
   */
  /** `handedTo`: a software node moved a heavy job to the hardware nodes' queue (see placeMediaJob). */
  'media.queued': { path?: string; replayOf?: string; retryOf?: number; reason?: string; recovered?: true; was?: MediaStatus; handedTo?: string };
  'media.started': { attempt: number; runId: string; workerId: string };
  'media.progress': TranscodeProgress & { accelPath: AccelPath };
  /** The master playlist is published: every rung has its first segment, players can start. */
  'media.playable': { hls: string; accelPath: AccelPath };
  /** The ladder is done (`rungs` as WIDTHxHEIGHT), or the file is audio only (`audioOnly`, no ladder). */
  /** `topRung`: whether the top rung is the source's own video (a stream copy) or encoded; `storyboard`: the seek previews' WebVTT. */
  'media.ready': { runId: string; accelPath: AccelPath; rungs: string[]; hls: string; topRung?: 'copied' | 'encoded'; storyboard?: string; audioOnly?: undefined } | { runId: string; audioOnly: true; rungs: []; accelPath?: undefined; hls?: undefined };
  /** The job gave up (`attempt` is the last one), or start-up recovery found it could never finish (`recovered`). */
  'media.failed': { reason: string; attempt?: number; recovered?: true };
  /** A deploy ended (the web UI's deploy page reloads on it). */
  'deploy.finished': DeployRecord;
}

export type EventType = keyof EventDataMap;

/** Event types in the event log: every state change in Nebula is one row of these. */
export const EVENT_TYPES = [
  'upload.completed',
  'upload.rejected',
  'file.moved',
  'file.deleted',
  'folder.created',
  'media.queued',
  'media.started',
  'media.progress',
  'media.playable',
  'media.ready',
  'media.failed',
  'deploy.finished',
] as const satisfies readonly EventType[];

// Every key of EventDataMap is listed above: a type added to the map and not to the list fails here.
type Unlisted = Exclude<EventType, (typeof EVENT_TYPES)[number]>;
const everyTypeListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyTypeListed;

/** Whether `value` names an event type (for query parameters and stream filters). */
export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

/**
 * One event as the API and the SSE stream show it. A union over the types, so checking `type`
 * narrows `data`: `if (event.type === 'media.progress') event.data.percent`.
 */
export type NebulaEvent<K extends EventType = EventType> = {
  [T in K]: { id: string; type: T; subject: string; data: EventDataMap[T]; traceId: string | null; time: string };
}[K];

/** What a producer hands over to append an event: its type with that type's data. */
export type EventPayload<K extends EventType = EventType> = {
  [T in K]: { type: T; data: EventDataMap[T] };
}[K];
