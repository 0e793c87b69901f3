import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { EventType, NebulaEvent } from '@nebula/contract';
import { appendEvent, findEvent, listEvents, type NewEvent } from '@nebula/shared/db';

export { isEventId, MAX_EVENT_ID, type NewEvent } from '@nebula/shared/db';

/** The event log: appended to in the same transaction as the change it records. The SQL is the worker's too (@nebula/shared/db). */
@Injectable()
export class EventsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  append<K extends EventType>(event: NewEvent<K>, manager?: EntityManager): Promise<NebulaEvent<K>> {
    return appendEvent(manager ?? this.db, event);
  }

  findById(id: string): Promise<NebulaEvent | null> {
    return findEvent(this.db, id);
  }

  /** Events in id order, oldest first (or the newest ones, still in order, with `newest`). */
  list(options: { after?: string; subject?: string; type?: string; limit: number; newest?: boolean }): Promise<NebulaEvent[]> {
    return listEvents(this.db, options);
  }
}
