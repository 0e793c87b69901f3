import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The event log: every state change in Nebula, in order. */
export class CreateEvents1763800000000 implements MigrationInterface {
  name = 'CreateEvents1763800000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE events (
        id bigserial PRIMARY KEY,
        type text NOT NULL,
        subject text NOT NULL,
        data jsonb NOT NULL DEFAULT '{}'::jsonb,
        trace_id text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX events_subject_idx ON events (subject, id)`);
    await db.query(`CREATE INDEX events_type_idx ON events (type, id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE events`);
  }
}
