import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The journal of media jobs: one row per attempt, with the acceleration path that ran it and how it ended. */
export class CreateMediaAttempts1763800300000 implements MigrationInterface {
  name = 'CreateMediaAttempts1763800300000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE media_attempts (
        id bigserial PRIMARY KEY,
        file_id uuid NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
        job_id text NOT NULL,
        attempt integer NOT NULL,
        run_id text NOT NULL,
        accel_path text,
        status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
        error text,
        steps jsonb NOT NULL DEFAULT '[]'::jsonb,
        trace_id text,
        worker_id text,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await db.query(`CREATE INDEX media_attempts_file_idx ON media_attempts (file_id, id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE media_attempts`);
  }
}
