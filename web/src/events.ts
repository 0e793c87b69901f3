import { useEffect, useRef, useSyncExternalStore } from 'react';
import { API_ROUTES, EVENT_TYPES, withQuery, type NebulaEvent } from '@nebula/contract';

type Listener = (event: NebulaEvent) => void;
export type Connection = 'connecting' | 'live' | 'reconnecting';

/**
 * One EventSource for the whole page on /api/events/stream. The browser reconnects by itself and
 * sends Last-Event-ID, and the gateway replays what was missed, so no change is lost across a
 * network blip. Every event arrives under its type's name, so each type gets its own listener.
 */
class EventHub {
  private source?: EventSource;
  private readonly listeners = new Set<Listener>();
  private readonly connectionListeners = new Set<() => void>();
  private readonly resyncListeners = new Set<() => void>();
  /** Whether a connection was ever open: a later open is a reconnection. */
  private wasOpen = false;
  connection: Connection = 'connecting';
  /** The newest event seen, to resume from when a new connection has to be made by hand. */
  private lastId = '';

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    this.open();
    return () => this.listeners.delete(listener);
  }

  watchConnection(listener: () => void): () => void {
    this.connectionListeners.add(listener);
    this.open();
    return () => this.connectionListeners.delete(listener);
  }

  /** `listener` runs when events may have been missed (a connection with no event id to resume from). */
  watchResync(listener: () => void): () => void {
    this.resyncListeners.add(listener);
    return () => this.resyncListeners.delete(listener);
  }

  private open(): void {
    if (this.source) return;
    const source = new EventSource(withQuery(API_ROUTES.eventStream, { after: this.lastId || undefined }));
    const deliver = (message: MessageEvent<string>) => {
      let event: NebulaEvent;
      try {
        event = JSON.parse(message.data) as NebulaEvent;
      } catch {
        return;
      }
      if (message.lastEventId) this.lastId = message.lastEventId;
      for (const listener of this.listeners) listener(event);
    };
    for (const type of EVENT_TYPES) source.addEventListener(type, deliver);
    source.onopen = () => {
      this.setConnection('live');
      // With an event id the gateway sends what was missed; without one nobody knows: reload. That
      // includes the first connection: what a page loaded before it opened may have changed since.
      if (!this.lastId) this.resyncListeners.forEach((listener) => listener());
      this.wasOpen = true;
    };
    source.onerror = () => {
      this.setConnection(this.wasOpen ? 'reconnecting' : 'connecting');
      // The browser retries by itself unless the answer was not an event stream (a proxy's error
      // page, a gateway being replaced): then it gives up, and so a new connection is due.
      if (source.readyState === EventSource.CLOSED) {
        this.source = undefined;
        window.setTimeout(() => this.open(), 5_000);
      }
    };
    this.source = source;
  }

  private setConnection(state: Connection): void {
    if (this.connection === state) return;
    this.connection = state;
    this.connectionListeners.forEach((listener) => listener());
  }
}

export const events = new EventHub();

/** Calls `handler` for every live event while the component is shown (always the latest handler). */
export function useNebulaEvents(handler: Listener): void {
  const latest = useRef(handler);
  useEffect(() => {
    latest.current = handler;
  });
  useEffect(() => events.subscribe((event) => latest.current(event)), []);
}

/** Calls `reload` after a connection that may have missed events, so what is shown is not stale. */
export function useResync(reload: () => void): void {
  const latest = useRef(reload);
  useEffect(() => {
    latest.current = reload;
  });
  useEffect(() => events.watchResync(() => latest.current()), []);
}

export function useConnection(): Connection {
  return useSyncExternalStore(
    (listener) => events.watchConnection(listener),
    () => events.connection,
  );
}
