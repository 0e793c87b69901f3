import { Inject, Injectable } from '@nestjs/common';
import { entrySubject, folderSubject, type EntryDto, type FolderListing, type SearchResults, type UnfinishedUpload, type UploadInProgressError } from '@nebula/contract';
import { storageKeys } from '@nebula/shared';
import type { ObjectStorage } from '@nebula/shared/storage';
import { EventsRepository } from '../events/events.repository';
import { OBJECT_STORAGE } from '../storage/storage.module';
import { EntriesRepository, NameTakenError } from './entries.repository';
import type { Entry } from './entry.entity';
import { formatPath, InvalidNameError, InvalidPathError, joinPath, parsePath, validateName } from '@nebula/contract';
import { UPLOAD_RECORDS } from '../uploads/tus-store.factory';
import { UploadProgress } from './upload-progress';
import { ConflictError, InvalidError, NotFoundError } from '../errors/domain-errors';
import { ReadyFiles } from './ready-files';

/** Longer than any name (names are at most 255 bytes): nothing longer can match. */
const MAX_QUERY = 255;

/** The file tree: listing, lookup, folders, rename/move and delete (bytes and all that derives from them). */
@Injectable()
export class FilesService {
  constructor(
    private readonly entries: EntriesRepository,
    private readonly events: EventsRepository,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly uploads: UploadProgress,
    private readonly readyFiles: ReadyFiles,
  ) {}

  async list(path: string): Promise<FolderListing> {
    const segments = parse(path);
    const folder = await this.folderAt(segments);
    const children = await this.entries.listChildren(folder?.id ?? null);
    const folderPath = formatPath(segments);
    return { path: folderPath, entries: await Promise.all(children.map((e) => this.dto(e, joinPath(folderPath, e.name)))) };
  }

  /**
   * Names holding `q` anywhere in the tree, with their paths. What a listing shows, a search finds
   * (unfinished uploads too): the tailnet guard is the one access rule, and it stands before every route.
   */
  async search(q: string, page: { limit: number; offset: number }): Promise<SearchResults> {
    const fragment = q.trim();
    if (fragment === '') throw new InvalidError('empty_query', 'say what to search for: GET /api/search?q=<part of a name>');
    if (fragment.length > MAX_QUERY) throw new InvalidError('query_too_long', `a search is at most ${MAX_QUERY} characters (this one has ${fragment.length})`);
    const { total, hits } = await this.entries.searchNames(fragment, page);
    const entries = await Promise.all(hits.map(({ entry, segments }) => this.dto(entry, formatPath(segments))));
    const next = page.offset + page.limit;
    return { q: fragment, entries, total, nextOffset: next < total ? next : null };
  }

  async lookup(path: string): Promise<EntryDto> {
    const segments = parse(path);
    if (segments.length === 0) throw new InvalidError('invalid_path', 'the root folder is not an entry; list it with GET /api/files?path=/');
    const entry = await this.entries.findByPath(segments);
    if (!entry) throw notFound(formatPath(segments));
    return this.dto(entry, formatPath(segments));
  }

  async get(id: string): Promise<EntryDto> {
    const entry = await this.entryById(id);
    return this.dto(entry, formatPath(await this.entries.segmentsOf(entry.id)));
  }

  /** The entry as the API shows it; an unfinished upload with how far it got. */
  private async dto(entry: Entry, path: string): Promise<EntryDto> {
    return toDto(entry, path, await this.unfinished(entry));
  }

  private unfinished(entry: Entry): Promise<UnfinishedUpload | null> {
    if (entry.kind !== 'file' || entry.status !== 'uploading' || !entry.storageKey) return Promise.resolve(null);
    return this.uploads.of(entry.id, entry.storageKey, entry.createdAt);
  }

  /**
   * Why `name` in this folder cannot take a new upload, as the conflict to throw: a finished file or a
   * folder is `already_exists`; someone's unfinished upload is `upload_in_progress`, saying who
   * started it, when and how far it got, and what its owner (`caller` when it is theirs) can do.
   */
  async whyTaken(parentId: string | null, name: string, path: string, caller: string | null): Promise<ConflictError> {
    const entry = await this.entries.findChild(parentId, name);
    const upload = entry ? await this.unfinished(entry) : null;
    if (!entry || !upload) return new ConflictError('already_exists', `${path} already exists; pick another name or delete it first`);
    const startedAt = entry.createdAt.toISOString();
    const got = upload.received === null ? 'how far it got is unknown' : `${progress(upload.received, entry.size)} received`;
    const mine = entry.owner === caller;
    const who = entry.owner === null ? '' : ` by ${entry.owner}`;
    const message = mine
      ? `${path} is your unfinished upload (started ${startedAt}, ${got}): send the same file to resume it (nebula upload does), or give it up with DELETE ${upload.url} (nebula upload --replace)`
      : `${path} is being uploaded${who} since ${startedAt} (${got}); only ${entry.owner ?? 'its uploader'} can resume or replace it, and unless finished it expires at ${upload.expiresAt}`;
    const details: Pick<UploadInProgressError, 'upload'> = { upload: { ...upload, owner: entry.owner, startedAt, size: entry.size } };
    return new ConflictError('upload_in_progress', message, details);
  }

  /** The entry itself, for streaming; 404 when there is none. */
  async entryById(id: string): Promise<Entry> {
    const entry = isUuid(id) ? await this.entries.findById(id) : null;
    if (!entry) throw new NotFoundError('not_found', `no file or folder with id ${id}`);
    return entry;
  }

  async createFolder(path: string, options: { parents: boolean; traceId: string; owner?: string | null }): Promise<EntryDto> {
    const segments = parse(path);
    if (segments.length === 0) throw new ConflictError('already_exists', 'the root folder always exists');
    return this.entries.transaction(async (tx) => {
      let parent: Entry | null = null;
      for (const [i, name] of segments.entries()) {
        const existing = await this.entries.findChild(parent?.id ?? null, name, tx);
        const isLast = i === segments.length - 1;
        if (existing) {
          if (existing.kind !== 'folder') throw new ConflictError('not_a_folder', `${formatPath(segments.slice(0, i + 1))} is a file, not a folder`);
          if (isLast) {
            if (options.parents) return toDto(existing, formatPath(segments));
            throw new ConflictError('already_exists', `${formatPath(segments)} already exists`);
          }
          parent = existing;
          continue;
        }
        if (!isLast && !options.parents) throw notFound(formatPath(segments.slice(0, i + 1)), 'create it first, or pass parents: true');
        const here = formatPath(segments.slice(0, i + 1));
        const made: { entry: Entry; created: boolean } = await this.entries.ensureFolder(parent?.id ?? null, name, options.owner ?? null, tx).catch(conflictOn(here));
        if (!made.created) {
          // Someone else made this name in the meantime: a folder is as good as ours, except where
          // the caller asked for a new one (no parents) or a file took the name.
          if (made.entry.kind !== 'folder') throw new ConflictError('not_a_folder', `${here} is a file, not a folder`);
          if (isLast && !options.parents) throw new ConflictError('already_exists', `${here} already exists`);
        } else {
          await this.events.append({ type: 'folder.created', subject: folderSubject(made.entry.id), data: { path: here }, traceId: options.traceId }, tx);
        }
        parent = made.entry;
      }
      return toDto(parent!, formatPath(segments));
    });
  }

  async move(id: string, request: { name?: string; folder?: string }, traceId: string): Promise<EntryDto> {
    if (request.name === undefined && request.folder === undefined) {
      throw new InvalidError('bad_request', 'give a new name, a destination folder, or both');
    }
    const entry = await this.entryById(id);
    const from = formatPath(await this.entries.segmentsOf(entry.id));
    const name = request.name === undefined ? entry.name : validName(request.name);
    let parentId = entry.parentId;
    let folderSegments = (await this.entries.segmentsOf(entry.id)).slice(0, -1);
    if (request.folder !== undefined) {
      folderSegments = parse(request.folder);
      const folder = await this.folderAt(folderSegments);
      if (folder && entry.kind === 'folder' && (await this.entries.isWithin(folder.id, entry.id))) {
        throw new InvalidError('invalid_move', `cannot move ${from} into itself`);
      }
      parentId = folder?.id ?? null;
    }
    const to = joinPath(formatPath(folderSegments), name);
    await this.entries.transaction(async (tx) => {
      await this.entries.update(entry.id, { name, parentId }, tx).catch(conflictOn(to));
      await this.events.append({ type: 'file.moved', subject: entrySubject(entry.kind, entry.id), data: { from, to }, traceId }, tx);
    });
    // At once, not when the event comes back from the log: the next request must see the new name.
    this.readyFiles.forget(entry.id);
    return this.get(entry.id);
  }

  /**
   * Bytes first, then rows: if removing bytes fails half-way the rows remain, and deleting again
   * finishes the job (deleting a missing object is not an error).
   */
  async delete(id: string, options: { recursive: boolean; traceId: string }): Promise<void> {
    const entry = await this.entryById(id);
    const path = formatPath(await this.entries.segmentsOf(entry.id));
    if (entry.kind === 'folder' && !options.recursive && (await this.entries.hasChildren(entry.id))) {
      throw new ConflictError('folder_not_empty', `${path} is not empty; delete it with recursive=true`);
    }
    const files = entry.kind === 'file' ? [entry] : await this.entries.filesWithin(entry.id);
    // The rows go first: a worker transcoding one of these files sees it gone and publishes nothing
    // more (bytes deleted first left a window for one last segment), and a failure below leaves
    // unreferenced bytes, never a listed file whose bytes are gone.
    await this.entries.transaction(async (tx) => {
      await this.entries.delete(entry.id, tx);
      await this.events.append({ type: 'file.deleted', subject: entrySubject(entry.kind, entry.id), data: { path, files: files.length }, traceId: options.traceId }, tx);
    });
    this.readyFiles.onEvent({ type: 'file.deleted', subject: `${entry.kind}:${entry.id}` });
    for (const file of files) await this.deleteBytes(file);
  }

  /** The original, its upload leftovers (tus records and parts), renditions and poster. */
  async deleteBytes(file: Entry): Promise<void> {
    if (file.status === 'uploading' && file.storageKey) await this.uploads.discard(file.storageKey);
    await this.storage.deletePrefix(storageKeys.original(file.id));
    // The s3 tus store's record of the upload (its name), should one have outlived the upload.
    await this.storage.deletePrefix(`${UPLOAD_RECORDS}${storageKeys.original(file.id)}`);
    await this.storage.deletePrefix(storageKeys.renditionPrefix(file.id));
    await this.storage.delete(storageKeys.poster(file.id));
  }

  /** The folder at a path (null for the root); 404 when missing, 409 when it is a file. */
  async folderAt(segments: readonly string[]): Promise<Entry | null> {
    if (segments.length === 0) return null;
    const folder = await this.entries.findByPath(segments);
    if (!folder) throw notFound(formatPath(segments));
    if (folder.kind !== 'folder') throw new ConflictError('not_a_folder', `${formatPath(segments)} is a file, not a folder`);
    return folder;
  }
}

export function toDto(e: Entry, path: string, upload: UnfinishedUpload | null = null): EntryDto {
  return {
    id: e.id,
    kind: e.kind,
    name: e.name,
    path,
    size: e.size,
    mime: e.mime,
    sha256: e.sha256,
    sample: e.sampleHash,
    status: e.status,
    media: e.kind === 'file' ? { status: e.mediaStatus, error: e.mediaError, ...probeSummary(e.probe) } : null,
    owner: e.owner,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
    upload,
  };
}

/**
 * The length and shown picture size from the worker's probe (worker/src/media/probe.ts's
 * MediaProbe: durationSeconds, video.displayWidth/displayHeight), null where it has none.
 */
export function probeSummary(probe: Record<string, unknown> | null): { durationSeconds: number | null; width: number | null; height: number | null } {
  const video = (probe?.video ?? null) as { displayWidth?: unknown; displayHeight?: unknown } | null;
  const positive = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : null);
  return { durationSeconds: positive(probe?.durationSeconds), width: positive(video?.displayWidth), height: positive(video?.displayHeight) };
}

function parse(path: string): string[] {
  try {
    return parsePath(path ?? '/');
  } catch (error) {
    if (error instanceof InvalidPathError) throw new InvalidError('invalid_path', error.message);
    throw error;
  }
}

export function validName(name: string): string {
  try {
    return validateName(name);
  } catch (error) {
    if (error instanceof InvalidNameError) throw new InvalidError('invalid_name', error.message);
    throw error;
  }
}

/** "41943040 of 104857600 bytes (40%)" */
function progress(received: number, size: number | null): string {
  if (!size) return `${received} bytes`;
  return `${received} of ${size} bytes (${Math.floor((received / size) * 100)}%)`;
}

function notFound(path: string, hint?: string): NotFoundError {
  return new NotFoundError('not_found', `${path} does not exist${hint ? `: ${hint}` : ''}`);
}

function conflictOn(path: string) {
  return (error: unknown): never => {
    if (error instanceof NameTakenError) throw new ConflictError('already_exists', `${path} already exists`);
    throw error;
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
