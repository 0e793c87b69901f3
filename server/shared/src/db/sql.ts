/**
 * What the table modules here need from a database connection: one statement with its parameters,
 * answered with its rows. TypeORM's DataSource and EntityManager (a transaction) are both this, so
 * the gateway and the worker pass what they have. A bare UPDATE would answer [rows, count] through
 * TypeORM; the statements here always end in RETURNING or a SELECT, so every answer is rows.
 */
export interface Sql {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- TypeORM's own signature
  query(text: string, params?: unknown[]): Promise<any>;
}

/** A connection that can also open a transaction (TypeORM's DataSource). */
export interface Database extends Sql {
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
}

/** A jsonb parameter: pg would send a JS array as a Postgres array, so everything goes as JSON text. */
export function json(value: unknown): string {
  return JSON.stringify(value);
}
