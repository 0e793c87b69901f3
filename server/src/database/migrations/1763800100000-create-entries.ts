import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The file tree: folders and files in one table, each pointing at its parent (NULL = the root).
 * A file's row exists from the moment its upload is created (status 'uploading'), which reserves
 * its name; the unique index makes two entries with one path impossible.
 */
export class CreateEntries1763800100000 implements MigrationInterface {
  name = 'CreateEntries1763800100000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE entries (
        id uuid PRIMARY KEY,
        parent_id uuid REFERENCES entries (id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('folder', 'file')),
        name text NOT NULL,
        size bigint,
        mime text,
        sha256 text,
        storage_key text,
        status text NOT NULL DEFAULT 'ready' CHECK (status IN ('uploading', 'ready')),
        media_status text NOT NULL DEFAULT 'none' CHECK (media_status IN ('none', 'queued', 'processing', 'ready', 'failed')),
        media_error text,
        probe jsonb,
        owner text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (kind = 'file' OR (size IS NULL AND storage_key IS NULL))
      )`);
    // NULLS NOT DISTINCT (PostgreSQL 15+): two entries named alike in the root collide too.
    await db.query(`CREATE UNIQUE INDEX entries_parent_name_key ON entries (parent_id, name) NULLS NOT DISTINCT`);
    await db.query(`CREATE INDEX entries_sha256_idx ON entries (sha256) WHERE sha256 IS NOT NULL`);
    await db.query(`CREATE INDEX entries_uploading_idx ON entries (created_at) WHERE status = 'uploading'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE entries`);
  }
}
