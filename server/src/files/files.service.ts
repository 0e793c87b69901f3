import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { entrySubject, folderSubject, type EntryDto, type FolderListing, type UnfinishedUpload, type UploadInProgressError } from '@nebula/contract';
import { storageKeys } from '@nebula/shared';
import type { ObjectStorage } from '@nebula/shared/storage';
import { EventsRepository } from '../events/events.repository';
import { OBJECT_STORAGE } from '../storage/storage.module';
import { EntriesRepository, NameTakenError } from './entries.repository';
import type { Entry } from './entry.entity';
import { formatPath, InvalidNameError, InvalidPathError, joinPath, parsePath, validateName } from '@nebula/contract';
import { UPLOAD_RECORDS } from '../uploads/tus-store.factory';
import { UploadProgress } from './upload-progress';

/** The file tree: listing, lookup, folders, rename/move and delete (bytes and all that derives from them). */
@Injectable()
export class FilesService {
  constructor(
    private readonly entries: EntriesRepository,
    private readonly events: EventsRepository,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly uploads: UploadProgress,
  ) {}

  async list(path: string): Promise<FolderListing> {
    const segments = parse(path);
    const folder = await this.folderAt(segments);
    const children = await this.entries.listChildren(folder?.id ?? null);
    const folderPath = formatPath(segments);
    return { path: folderPath, entries: await Promise.all(children.map((e) => this.dto(e, joinPath(folderPath, e.name)))) };
  }

  async lookup(path: string): Promise<EntryDto> {
    const segments = parse(path);
    if (segments.length === 0) throw new BadRequestException({ code: 'invalid_path', message: 'the root folder is not an entry; list it with GET /api/files?path=/' });
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
   * Why `name` in this folder cannot take a new upload, as the 409 body: a finished file or a
   * folder is `already_exists`; someone's unfinished upload is `upload_in_progress`, saying who
   * started it, when and how far it got, and what its owner (`caller` when it is theirs) can do.
   */
  async whyTaken(parentId: string | null, name: string, path: string, caller: string | null): Promise<UploadInProgressError | { statusCode: 409; code: 'already_exists'; message: string }> {
    const entry = await this.entries.findChild(parentId, name);
    const upload = entry ? await this.unfinished(entry) : null;
    if (!entry || !upload) return { statusCode: 409, code: 'already_exists', message: `${path} already exists; pick another name or delete it first` };
    const startedAt = entry.createdAt.toISOString();
    const got = upload.received === null ? 'how far it got is unknown' : `${progress(upload.received, entry.size)} received`;
    const mine = entry.owner === caller;
    const who = entry.owner === null ? '' : ` by ${entry.owner}`;
    const message = mine
      ? `${path} is your unfinished upload (started ${startedAt}, ${got}): send the same file to resume it (nebula upload does), or give it up with DELETE ${upload.url} (nebula upload --replace)`
      : `${path} is being uploaded${who} since ${startedAt} (${got}); only ${entry.owner ?? 'its uploader'} can resume or replace it, and unless finished it expires at ${upload.expiresAt}`;
    return { statusCode: 409, code: 'upload_in_progress', message, upload: { ...upload, owner: entry.owner, startedAt, size: entry.size } };
  }

  /** The entry itself, for streaming; 404 when there is none. */
  async entryById(id: string): Promise<Entry> {
    const entry = isUuid(id) ? await this.entries.findById(id) : null;
    if (!entry) throw new NotFoundException({ code: 'not_found', message: `no file or folder with id ${id}` });
    return entry;
  }

  async createFolder(path: string, options: { parents: boolean; traceId: string; owner?: string | null }): Promise<EntryDto> {
    const segments = parse(path);
    if (segments.length === 0) throw new ConflictException({ code: 'already_exists', message: 'the root folder always exists' });
    return this.entries.transaction(async (tx) => {
      let parent: Entry | null = null;
      for (const [i, name] of segments.entries()) {
        const existing = await this.entries.findChild(parent?.id ?? null, name, tx);
        const isLast = i === segments.length - 1;
        if (existing) {
          if (existing.kind !== 'folder') throw new ConflictException({ code: 'not_a_folder', message: `${formatPath(segments.slice(0, i + 1))} is a file, not a folder` });
          if (isLast) {
            if (options.parents) return toDto(existing, formatPath(segments));
            throw new ConflictException({ code: 'already_exists', message: `${formatPath(segments)} already exists` });
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
          if (made.entry.kind !== 'folder') throw new ConflictException({ code: 'not_a_folder', message: `${here} is a file, not a folder` });
          if (isLast && !options.parents) throw new ConflictException({ code: 'already_exists', message: `${here} already exists` });
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
      throw new BadRequestException({ code: 'bad_request', message: 'give a new name, a destination folder, or both' });
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
        throw new BadRequestException({ code: 'invalid_move', message: `cannot move ${from} into itself` });
      }
      parentId = folder?.id ?? null;
    }
    const to = joinPath(formatPath(folderSegments), name);
    await this.entries.transaction(async (tx) => {
      await this.entries.update(entry.id, { name, parentId }, tx).catch(conflictOn(to));
      await this.events.append({ type: 'file.moved', subject: entrySubject(entry.kind, entry.id), data: { from, to }, traceId }, tx);
    });
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
      throw new ConflictException({ code: 'folder_not_empty', message: `${path} is not empty; delete it with recursive=true` });
    }
    const files = entry.kind === 'file' ? [entry] : await this.entries.filesWithin(entry.id);
    // The rows go first: a worker transcoding one of these files sees it gone and publishes nothing
    // more (bytes deleted first left a window for one last segment), and a failure below leaves
    // unreferenced bytes, never a listed file whose bytes are gone.
    await this.entries.transaction(async (tx) => {
      await this.entries.delete(entry.id, tx);
      await this.events.append({ type: 'file.deleted', subject: entrySubject(entry.kind, entry.id), data: { path, files: files.length }, traceId: options.traceId }, tx);
    });
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
    if (folder.kind !== 'folder') throw new ConflictException({ code: 'not_a_folder', message: `${formatPath(segments)} is a file, not a folder` });
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
    status: e.status,
    media: e.kind === 'file' ? { status: e.mediaStatus, error: e.mediaError } : null,
    owner: e.owner,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
    upload,
  };
}

function parse(path: string): string[] {
  try {
    return parsePath(path ?? '/');
  } catch (error) {
    if (error instanceof InvalidPathError) throw new BadRequestException({ code: 'invalid_path', message: error.message });
    throw error;
  }
}

export function validName(name: string): string {
  try {
    return validateName(name);
  } catch (error) {
    if (error instanceof InvalidNameError) throw new BadRequestException({ code: 'invalid_name', message: error.message });
    throw error;
  }
}

/** "41943040 of 104857600 bytes (40%)" */
function progress(received: number, size: number | null): string {
  if (!size) return `${received} bytes`;
  return `${received} of ${size} bytes (${Math.floor((received / size) * 100)}%)`;
}

function notFound(path: string, hint?: string): NotFoundException {
  return new NotFoundException({ code: 'not_found', message: `${path} does not exist${hint ? `: ${hint}` : ''}` });
}

function conflictOn(path: string) {
  return (error: unknown): never => {
    if (error instanceof NameTakenError) throw new ConflictException({ code: 'already_exists', message: `${path} already exists` });
    throw error;
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
