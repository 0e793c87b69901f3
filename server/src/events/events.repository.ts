import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { EventPayload, EventType, NebulaEvent } from '@nebula/contract';
import { EventRecord } from './event.entity';

/** An event to append: its type with that type's data (see EventDataMap), and what it is about. */
export type NewEvent<K extends EventType = EventType> = EventPayload<K> & {
  subject: string;
  traceId?: string | null;
};

/** The largest event id there can be: ids are bigserial, PostgreSQL's int8. */
export const MAX_EVENT_ID = 2n ** 63n - 1n;

/** Whether `value` can be an event id: a whole number within int8 (beyond it, PostgreSQL errors out). */
export function isEventId(value: string): boolean {
  return /^\d+$/.test(value) && BigInt(value) <= MAX_EVENT_ID;
}

/** The event log: appended to in the same transaction as the change it records. */
@Injectable()
export class EventsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async append<K extends EventType>(event: NewEvent<K>, manager?: EntityManager): Promise<NebulaEvent<K>> {
    const repo = (manager ?? this.db.manager).getRepository(EventRecord);
    const saved = await repo.save(repo.create({ type: event.type, subject: event.subject, data: event.data as object as Record<string, unknown>, traceId: event.traceId ?? null }));
    return toEvent(saved) as NebulaEvent<K>;
  }

  async findById(id: string): Promise<NebulaEvent | null> {
    if (!isEventId(id)) return null;
    const record = await this.db.getRepository(EventRecord).findOneBy({ id });
    return record ? toEvent(record) : null;
  }

  /** Events in id order, oldest first (or the newest ones, still in order, with `newest`). */
  async list(options: { after?: string; subject?: string; type?: string; limit: number; newest?: boolean }): Promise<NebulaEvent[]> {
    const query = this.db
      .getRepository(EventRecord)
      .createQueryBuilder('e')
      .orderBy('e.id', options.newest ? 'DESC' : 'ASC')
      .limit(options.limit);
    if (options.type) query.andWhere('e.type = :type', { type: options.type });
    if (options.after) query.andWhere('e.id > :after', { after: options.after });
    if (options.subject) query.andWhere('e.subject = :subject', { subject: options.subject });
    const rows = (await query.getMany()).map(toEvent);
    return options.newest ? rows.reverse() : rows;
  }
}

/** A stored event as the API shows it. Rows were written through EventDataMap's types (here or by the worker), so their data is trusted. */
export function toEvent(record: EventRecord): NebulaEvent {
  return {
    id: String(record.id),
    type: record.type as EventType,
    subject: record.subject,
    data: record.data,
    traceId: record.traceId,
    time: record.createdAt.toISOString(),
  } as NebulaEvent;
}
