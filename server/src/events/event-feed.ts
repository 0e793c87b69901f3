import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import type { NebulaEvent } from '@nebula/contract';
import type { Config } from '@nebula/shared';
import { CONFIG } from '../config/config.module';
import { EventsRepository } from './events.repository';

type Listener = (event: NebulaEvent) => void;

/**
 * Live events: one Postgres connection LISTENs for the NOTIFY that every new event row sends (see
 * the notify-events migration), reads the new rows in order, and hands them to every subscriber.
 * It connects on the first subscriber and reconnects by itself; a subscriber that resumes with
 * Last-Event-ID reads the backlog from the table, so a reconnect loses nothing.
 */
@Injectable()
export class EventFeed implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('events');
  private readonly listeners = new Set<Listener>();
  /** How to end each open event stream (an HTTP response that never ends by itself). */
  private readonly streams = new Set<() => void>();
  private client?: pg.Client;
  private connecting?: Promise<void>;
  /** The newest event handed to listeners; null until the first connection reads where the log stands. */
  private lastId: string | null = null;
  private reading = Promise.resolve();
  private closed = false;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly events: EventsRepository,
  ) {}

  /** Starts listening (if not yet) and calls `listener` for every event newer than `afterId`. */
  async subscribe(listener: Listener): Promise<() => void> {
    await this.connect();
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Registers an open event stream, to be ended when the gateway shuts down: the HTTP server
   * waits for every open response before it closes, and an event stream never ends by itself.
   * Returns the function that unregisters it.
   */
  holdOpen(end: () => void): () => void {
    if (this.closed) {
      end();
      return () => undefined;
    }
    this.streams.add(end);
    return () => this.streams.delete(end);
  }

  private connect(): Promise<void> {
    this.connecting ??= (async () => {
      // Listeners hear what comes after they subscribed. A reconnect keeps its place, so what was
      // committed while the connection was down (by the worker, another gateway) is read below.
      if (this.lastId === null) this.lastId = (await this.events.list({ limit: 1, newest: true }))[0]?.id ?? '0';
      const client = new pg.Client({ connectionString: this.config.databaseUrl });
      client.on('notification', () => this.readNew());
      client.on('error', (error) => this.reconnect(error));
      await client.connect();
      await client.query('LISTEN nebula_events');
      this.client = client;
      // Anything committed between reading lastId and LISTEN.
      this.readNew();
    })().catch((error: Error) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  private reconnect(error: Error): void {
    this.logger.warn(`event feed lost its database connection (${error.message}); reconnecting`);
    void this.client?.end().catch(() => undefined);
    this.client = undefined;
    this.connecting = undefined;
    if (this.closed) return;
    setTimeout(() => void this.connect().catch((e: Error) => this.reconnect(e)), 1000).unref();
  }

  /** Serialised: notifications can arrive faster than one read finishes. */
  private readNew(): void {
    this.reading = this.reading.then(async () => {
      // Pages of 1000 until the log is read: after an outage there may be more than one page.
      for (let page = 1000; page === 1000; ) {
        const fresh = await this.events.list({ after: this.lastId ?? '0', limit: 1000 });
        page = fresh.length;
        for (const event of fresh) {
          this.lastId = event.id;
          for (const listener of this.listeners) listener(event);
        }
      }
    }).catch((error: Error) => this.logger.error(`reading new events failed: ${error.message}`));
  }

  /** Before the HTTP server closes: end every event stream now; clients reconnect with Last-Event-ID. */
  beforeApplicationShutdown(): void {
    this.closed = true;
    for (const end of this.streams) end();
    this.streams.clear();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    await this.client?.end().catch(() => undefined);
  }
}
