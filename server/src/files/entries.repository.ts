import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { Entry } from './entry.entity';

/** Thrown when a name is already taken in its folder (the unique index said so). */
export class NameTakenError extends Error {
  constructor() {
    super('name taken');
  }
}

/** The file tree in Postgres. Every query of the tree lives here. */
@Injectable()
export class EntriesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  private repo(manager?: EntityManager) {
    return (manager ?? this.db.manager).getRepository(Entry);
  }

  findById(id: string, manager?: EntityManager): Promise<Entry | null> {
    return this.repo(manager).findOneBy({ id });
  }

  findChild(parentId: string | null, name: string, manager?: EntityManager): Promise<Entry | null> {
    return this.repo(manager)
      .createQueryBuilder('e')
      .where(parentId ? 'e.parent_id = :parentId' : 'e.parent_id IS NULL', { parentId })
      .andWhere('e.name = :name', { name })
      .getOne();
  }

  /** The entry at a path given as segments; null when any segment is missing. [] is the root (also null). */
  async findByPath(segments: readonly string[], manager?: EntityManager): Promise<Entry | null> {
    let current: Entry | null = null;
    for (const name of segments) {
      current = await this.findChild(current?.id ?? null, name, manager);
      if (!current) return null;
    }
    return current;
  }

  listChildren(parentId: string | null): Promise<Entry[]> {
    return this.repo()
      .createQueryBuilder('e')
      .where(parentId ? 'e.parent_id = :parentId' : 'e.parent_id IS NULL', { parentId })
      .orderBy(`CASE WHEN e.kind = 'folder' THEN 0 ELSE 1 END`)
      .addOrderBy('e.name', 'ASC')
      .getMany();
  }

  /**
   * Entries anywhere whose name holds `fragment`, compared folded (lower case, accents removed:
   * nebula_fold, whose trigram index answers the LIKE; a fragment under 3 characters has no
   * trigram, and Postgres reads the table instead). Exact names first (extension aside: "beach"
   * is beach.mp4), then names that start with it, then the rest; by name within each. Each with
   * its full path's segments.
   */
  async searchNames(fragment: string, page: { limit: number; offset: number }): Promise<{ total: number; hits: { entry: Entry; segments: string[] }[] }> {
    const [{ total }] = (await this.db.query(`SELECT count(*)::int AS total FROM entries WHERE nebula_fold(name) LIKE '%' || ${FOLDED_LITERAL('$1')} || '%'`, [fragment])) as [{ total: number }];
    if (total === 0 || page.offset >= total) return { total, hits: [] };
    const rows: { id: string; names: string[] }[] = await this.db.query(
      `WITH RECURSIVE hits AS (
         SELECT id, row_number() OVER (
                  ORDER BY nebula_fold(regexp_replace(name, '\\.[^.]+$', '')) = nebula_fold($1) DESC, nebula_fold(name) LIKE ${FOLDED_LITERAL('$1')} || '%' DESC, name, id
                ) AS rank
         FROM entries WHERE nebula_fold(name) LIKE '%' || ${FOLDED_LITERAL('$1')} || '%'
         ORDER BY rank LIMIT $2 OFFSET $3
       ), up AS (
         SELECT h.id AS hit, e.parent_id, e.name, 0 AS depth FROM hits h JOIN entries e ON e.id = h.id
         UNION ALL
         SELECT up.hit, e.parent_id, e.name, up.depth + 1 FROM up JOIN entries e ON e.id = up.parent_id
       )
       SELECT hits.id, array_agg(up.name ORDER BY up.depth DESC) AS names
       FROM hits JOIN up ON up.hit = hits.id GROUP BY hits.id, hits.rank ORDER BY hits.rank`,
      [fragment, page.limit, page.offset],
    );
    const entries = rows.length ? await this.repo().createQueryBuilder('e').whereInIds(rows.map((r) => r.id)).getMany() : [];
    const byId = new Map(entries.map((e) => [e.id, e]));
    // An entry deleted between the two reads is left out.
    const hits = rows.flatMap((r) => (byId.has(r.id) ? [{ entry: byId.get(r.id)!, segments: r.names }] : []));
    return { total, hits };
  }

  /** Names from the root down to this entry, e.g. ['videos', '2026', 'clip.mp4']. */
  async segmentsOf(id: string, manager?: EntityManager): Promise<string[]> {
    const rows: { name: string }[] = await (manager ?? this.db.manager).query(
      `WITH RECURSIVE up AS (
         SELECT id, parent_id, name, 0 AS depth FROM entries WHERE id = $1
         UNION ALL
         SELECT e.id, e.parent_id, e.name, up.depth + 1 FROM entries e JOIN up ON e.id = up.parent_id
       ) SELECT name FROM up ORDER BY depth DESC`,
      [id],
    );
    return rows.map((r) => r.name);
  }

  /** Whether `id` is `ancestorId` or lies somewhere below it. */
  async isWithin(id: string, ancestorId: string, manager?: EntityManager): Promise<boolean> {
    const rows: unknown[] = await (manager ?? this.db.manager).query(
      `WITH RECURSIVE up AS (
         SELECT id, parent_id FROM entries WHERE id = $1
         UNION ALL
         SELECT e.id, e.parent_id FROM entries e JOIN up ON e.id = up.parent_id
       ) SELECT 1 FROM up WHERE id = $2`,
      [id, ancestorId],
    );
    return rows.length > 0;
  }

  /** Every file at or below a folder, for deleting their bytes. */
  async filesWithin(folderId: string): Promise<Entry[]> {
    const rows: { id: string }[] = await this.db.query(
      `WITH RECURSIVE down AS (
         SELECT id, kind FROM entries WHERE id = $1
         UNION ALL
         SELECT e.id, e.kind FROM entries e JOIN down ON e.parent_id = down.id
       ) SELECT id FROM down WHERE kind = 'file'`,
      [folderId],
    );
    return rows.length ? this.repo().createQueryBuilder('e').whereInIds(rows.map((r) => r.id)).getMany() : [];
  }

  async hasChildren(folderId: string): Promise<boolean> {
    return (await this.repo().countBy({ parentId: folderId })) > 0;
  }

  /** Inserts an entry; NameTakenError when its folder already has that name. */
  async insert(entry: Partial<Entry>, manager?: EntityManager): Promise<Entry> {
    try {
      return await this.repo(manager).save(this.repo(manager).create(entry));
    } catch (error) {
      throw translateUniqueViolation(error);
    }
  }

  /**
   * The folder `name` in `parentId`, created when missing. Two requests making the same folder at
   * once (mkdir -p, uploads into a folder that does not exist yet) both get it: ON CONFLICT waits
   * for the other transaction, and the row it committed is then read back (READ COMMITTED sees it).
   * `created` says whether this call made it; a file already holding the name is returned as is.
   */
  async ensureFolder(parentId: string | null, name: string, owner: string | null, manager?: EntityManager): Promise<{ entry: Entry; created: boolean }> {
    const db = manager ?? this.db.manager;
    const inserted: { id: string }[] = await db.query(
      `INSERT INTO entries (id, parent_id, kind, name, owner) VALUES ($1, $2, 'folder', $3, $4)
       ON CONFLICT (parent_id, name) DO NOTHING RETURNING id`,
      [randomUUID(), parentId, name, owner],
    );
    const entry = inserted[0] ? await this.findById(inserted[0].id, manager) : await this.findChild(parentId, name, manager);
    // The other row vanished between the conflict and the read (deleted at once): rare enough to report.
    if (!entry) throw new NameTakenError();
    return { entry, created: inserted.length > 0 };
  }

  /** The tree's columns; the media ones (media_status, media_error, probe) are written through @nebula/shared/db. */
  async update(id: string, fields: Partial<Omit<Entry, 'mediaStatus' | 'mediaError' | 'probe'>>, manager?: EntityManager): Promise<void> {
    try {
      await this.repo(manager).update({ id }, fields);
    } catch (error) {
      throw translateUniqueViolation(error);
    }
  }

  async delete(id: string, manager?: EntityManager): Promise<void> {
    await this.repo(manager).delete({ id });
  }

  /** Uploads that were created before `before` and never finished. */
  staleUploads(before: Date): Promise<Entry[]> {
    return this.repo().createQueryBuilder('e').where(`e.status = 'uploading'`).andWhere('e.created_at < :before', { before }).getMany();
  }

  /** A file in this folder with this name and content, if there is one (for skipping duplicates). */
  findSameFile(parentId: string | null, name: string, sha256: string): Promise<Entry | null> {
    return this.repo()
      .createQueryBuilder('e')
      .where(parentId ? 'e.parent_id = :parentId' : 'e.parent_id IS NULL', { parentId })
      .andWhere('e.name = :name AND e.sha256 = :sha256', { name, sha256 })
      .getOne();
  }
}

/**
 * SQL for a search text folded (nebula_fold) and then made literal for LIKE. In that order:
 * unaccent folds full-width ％ ＿ ＼ into % _ \, so text escaped before folding would get its
 * wildcards back. nebula_fold is immutable, so with the text known Postgres still plans the
 * trigram index.
 */
const FOLDED_LITERAL = (param: string) => `replace(replace(replace(nebula_fold(${param}), '\\', '\\\\'), '%', '\\%'), '_', '\\_')`;

function translateUniqueViolation(error: unknown): unknown {
  if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505') return new NameTakenError();
  return error;
}
