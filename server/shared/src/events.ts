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
  /** The master playlist is published: every rung has its first segment, players can start. */
  'media.playable',
  'media.ready',
  'media.failed',
  'deploy.finished',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** One event as the API and the SSE stream show it. */
export interface NebulaEvent<T = Record<string, unknown>> {
  id: string;
  type: EventType;
  subject: string;
  data: T;
  traceId: string | null;
  time: string;
}
