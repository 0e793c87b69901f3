import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sample hash of each ready file (sha256 of its size and a few sampled blocks), so a client can
 * find files that may equal one of its own without reading either in full. Files stored before keep
 * null: clients then compare by size, and the sha256 decides.
 */
export class EntriesSampleHash1763800517000 implements MigrationInterface {
  name = 'EntriesSampleHash1763800517000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE entries ADD COLUMN sample_hash text`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE entries DROP COLUMN sample_hash`);
  }
}
