import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { EntryKind, FileStatus, MediaState } from '@nebula/contract';

/** bigint columns come back from pg as strings; sizes fit in a JS number up to 8 PiB. */
const bigintAsNumber = { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

@Entity({ name: 'entries' })
export class Entry {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'parent_id', type: 'uuid', nullable: true })
  parentId!: string | null;

  @Column({ type: 'text' })
  kind!: EntryKind;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'bigint', nullable: true, transformer: bigintAsNumber })
  size!: number | null;

  @Column({ type: 'text', nullable: true })
  mime!: string | null;

  @Column({ type: 'text', nullable: true })
  sha256!: string | null;

  /** See sampleHash in @nebula/shared; null for folders and for files stored before it existed. */
  @Column({ name: 'sample_hash', type: 'text', nullable: true })
  sampleHash!: string | null;

  @Column({ name: 'storage_key', type: 'text', nullable: true })
  storageKey!: string | null;

  @Column({ type: 'text', default: 'ready' })
  status!: FileStatus;

  // The media columns are read here but written only by @nebula/shared/db (media-state.sql.ts),
  // the SQL the worker uses too: TypeORM never inserts or updates them.
  @Column({ name: 'media_status', type: 'text', default: 'none', insert: false, update: false })
  mediaStatus!: MediaState;

  @Column({ name: 'media_error', type: 'text', nullable: true, insert: false, update: false })
  mediaError!: string | null;

  @Column({ type: 'jsonb', nullable: true, insert: false, update: false })
  probe!: Record<string, unknown> | null;

  @Column({ type: 'text', nullable: true })
  owner!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
