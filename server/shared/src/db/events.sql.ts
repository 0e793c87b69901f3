import type { EventPayload, EventType, NebulaEvent } from '@nebula/contract';
import { json, type Sql } from './sql';

/** The `events` table: every writer of the event log (gateway and worker) goes through here. */

/** An event to append: its type with that type's data (see the contract's EventDataMap), and what it is about. */
export type NewEvent<K extends EventType = EventType> = EventPayload<K> & {
  subject: string;
  traceId?: string | null;
};

interface EventRow {
  id: string;
  type: string;
  subject: string;
  data: Record<string, unknown>;
  trace_id: string | null;
  created_at: Date;
}

const COLUMNS = 'id, type, subject, data, trace_id, created_at';

/** The largest event id there can be: ids are bigserial, PostgreSQL's int8. */
export const MAX_EVENT_ID = 2n ** 63n - 1n;

/** Whether `value` can be an event id: a whole number within int8 (beyond it, PostgreSQL errors out). */
export function isEventId(value: string): boolean {
  return /^\d+$/.test(value) && BigInt(value) <= MAX_EVENT_ID;
}

/**
 * Appends an event. Pass the transaction of the change it records, so both commit or neither does.
 * Live clients hear of it from the row's NOTIFY trigger (the notify-events migration), not from here.
 */
export async function appendEvent<K extends EventType>(sql: Sql, event: NewEvent<K>): Promise<NebulaEvent<K>> {
  const rows: EventRow[] = await sql.query(`INSERT INTO events (type, subject, data, trace_id) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`, [
    event.type,
    event.subject,
    json(event.data ?? {}),
    event.traceId ?? null,
  ]);
  return toEvent(rows[0]!) as NebulaEvent<K>;
}

export async function findEvent(sql: Sql, id: string): Promise<NebulaEvent | null> {
  if (!isEventId(id)) return null;
  const rows: EventRow[] = await sql.query(`SELECT ${COLUMNS} FROM events WHERE id = $1`, [id]);
  return rows[0] ? toEvent(rows[0]) : null;
}

/** Events in id order, oldest first (or the newest ones, still in order, with `newest`). */
export async function listEvents(sql: Sql, options: { after?: string; subject?: string; type?: string; limit: number; newest?: boolean }): Promise<NebulaEvent[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const match = (condition: string, value: unknown) => {
    params.push(value);
    where.push(condition.replace('?', `$${params.length}`));
  };
  if (options.type) match('type = ?', options.type);
  if (options.after) match('id > ?', options.after);
  if (options.subject) match('subject = ?', options.subject);
  params.push(options.limit);
  const rows: EventRow[] = await sql.query(
    `SELECT ${COLUMNS} FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${options.newest ? 'DESC' : 'ASC'} LIMIT $${params.length}`,
    params,
  );
  const events = rows.map(toEvent);
  return options.newest ? events.reverse() : events;
}

function toEvent(row: EventRow): NebulaEvent {
  // Rows were written through the contract's EventDataMap (by the gateway or the worker): their data is trusted.
  return { id: String(row.id), type: row.type as EventType, subject: row.subject, data: row.data, traceId: row.trace_id, time: row.created_at.toISOString() } as NebulaEvent;
}
