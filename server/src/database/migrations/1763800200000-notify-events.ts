import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every new event is announced with NOTIFY, so gateways push it to Server-Sent Event clients the
 * moment it is committed, whoever wrote it (a gateway, or a worker on another machine).
 */
export class NotifyEvents1763800200000 implements MigrationInterface {
  name = 'NotifyEvents1763800200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION nebula_notify_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('nebula_events', NEW.id::text);
        RETURN NEW;
      END $$`);
    await db.query(`CREATE TRIGGER events_notify AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION nebula_notify_event()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TRIGGER events_notify ON events`);
    await db.query(`DROP FUNCTION nebula_notify_event()`);
  }
}
