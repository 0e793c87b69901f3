import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { NodeTokenDto } from '@nebula/contract';

interface TokenRow {
  id: string;
  name: string | null;
  created_by: string | null;
  created_at: Date;
  last_used_at: Date | null;
  last_used_by: string | null;
}

const COLUMNS = 'id, name, created_by, created_at, last_used_at, last_used_by';

/** Join tokens of worker nodes (table node_tokens): hashes only, never a token. */
@Injectable()
export class NodeTokensRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async insert(token: { id: string; hash: string; name: string | null; createdBy: string | null }): Promise<NodeTokenDto> {
    const rows: TokenRow[] = await this.db.query(`INSERT INTO node_tokens (id, token_hash, name, created_by) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`, [
      token.id,
      token.hash,
      token.name,
      token.createdBy,
    ]);
    return dto(rows[0]!);
  }

  async all(): Promise<NodeTokenDto[]> {
    const rows: TokenRow[] = await this.db.query(`SELECT ${COLUMNS} FROM node_tokens ORDER BY created_at, id`);
    return rows.map(dto);
  }

  /** True when a token went. */
  async delete(id: string): Promise<boolean> {
    // TypeORM answers UPDATE and DELETE with [rows, count].
    const [rows] = (await this.db.query(`DELETE FROM node_tokens WHERE id = $1 RETURNING id`, [id])) as [unknown[], number];
    return rows.length > 0;
  }

  /** The id of the token with this hash, or null. */
  async idOf(hash: string): Promise<string | null> {
    const rows: { id: string }[] = await this.db.query(`SELECT id FROM node_tokens WHERE token_hash = $1`, [hash]);
    return rows[0]?.id ?? null;
  }

  /** Records a join; the id of the token, or null when no token has this hash. */
  async used(hash: string, by: string | null): Promise<string | null> {
    const [rows] = (await this.db.query(`UPDATE node_tokens SET last_used_at = now(), last_used_by = $2 WHERE token_hash = $1 RETURNING id`, [hash, by])) as [{ id: string }[], number];
    return rows[0]?.id ?? null;
  }
}

function dto(row: TokenRow): NodeTokenDto {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    lastUsedBy: row.last_used_by,
  };
}
