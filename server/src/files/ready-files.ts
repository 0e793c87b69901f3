import { Injectable } from '@nestjs/common';
import { type NebulaEvent } from '@nebula/contract';
import type { Entry } from './entry.entity';

/** What serving a file's content needs to know about it: the fields of a ready file that never change but its name. */
export type ReadyFile = Pick<Entry, 'id' | 'name' | 'mime' | 'size' | 'sha256' | 'storageKey' | 'createdAt'>;

/** About 200 bytes each: ten thousand files cost about 2 MB. */
export const READY_FILES_LIMIT = 10_000;

/**
 * Ready files by id, so that a player's range requests (a TV seeking asks for dozens) skip the
 * database: a ready file's bytes never change (a new upload is a new id), only its name can (a move),
 * and it can go away (a delete). The gateway drops an entry itself when it moves or deletes a file,
 * and the event log (file.moved, file.deleted, upload.completed) drops it for changes made elsewhere.
 * Bounded, least recently used first out; a Map keeps insertion order, which is all an LRU of this
 * size needs (no dependency for twenty lines).
 */
@Injectable()
export class ReadyFiles {
  private readonly files = new Map<string, ReadyFile>();
  limit = READY_FILES_LIMIT;
  /** Off until the event log is followed (see ReadyFilesFeed): without it, a change elsewhere would go unseen. */
  enabled = false;

  get size(): number {
    return this.files.size;
  }

  get(id: string): ReadyFile | undefined {
    if (!this.enabled) return undefined;
    const file = this.files.get(id);
    if (file) {
      // Most recently used goes last.
      this.files.delete(id);
      this.files.set(id, file);
    }
    return file;
  }

  remember(entry: Entry): ReadyFile {
    const file: ReadyFile = { id: entry.id, name: entry.name, mime: entry.mime, size: entry.size, sha256: entry.sha256, storageKey: entry.storageKey, createdAt: entry.createdAt };
    if (!this.enabled) return file;
    this.files.delete(entry.id);
    this.files.set(entry.id, file);
    while (this.files.size > this.limit) this.files.delete(this.files.keys().next().value!);
    return file;
  }

  forget(id: string): void {
    this.files.delete(id);
  }

  /** A folder went away with everything in it: which files were inside is not known here. */
  forgetAll(): void {
    this.files.clear();
  }

  /** An event from the log: anything that may have moved, replaced or removed a file drops what is known of it. */
  onEvent(event: Pick<NebulaEvent, 'type' | 'subject'>): void {
    const [kind, id] = event.subject.split(':', 2) as [string, string | undefined];
    if (event.type === 'file.deleted' && kind === 'folder') this.forgetAll();
    else if ((event.type === 'file.moved' || event.type === 'file.deleted' || event.type === 'upload.completed') && kind === 'file' && id) this.forget(id);
  }
}
