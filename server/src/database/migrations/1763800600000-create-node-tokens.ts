import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Join tokens of worker nodes (`nebula node token`): only the sha256 of each token is kept, so
 * neither a database dump nor the API can give a token back. Revoking deletes the row.
 */
export class CreateNodeTokens1763800600000 implements MigrationInterface {
  name = 'CreateNodeTokens1763800600000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE node_tokens (
        id text PRIMARY KEY,
        token_hash text NOT NULL UNIQUE,
        name text,
        created_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        last_used_by text
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE node_tokens`);
  }
}
