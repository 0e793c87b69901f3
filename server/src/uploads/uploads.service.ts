import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { BadRequestException, HttpException } from '@nestjs/common';
import { Server, EVENTS } from '@tus/server';
import type { DataStore, Upload } from '@tus/utils';
import type { Request, Response } from 'express';
import { AsyncLocalStorage } from 'node:async_hooks';
import { lookup as mimeLookup } from 'mime-types';
import { UPLOAD_METADATA, UPLOADS_PATH, type Config } from '@nebula/shared';
import { currentTraceId } from '@nebula/shared/runtime';
import type { ObjectStorage } from '@nebula/shared/storage';
import { callerOf } from '../access/current-caller';
import { CONFIG } from '../config/config.module';
import { EventsRepository } from '../events/events.repository';
import { EntriesRepository, NameTakenError } from '../files/entries.repository';
import { FilesService, isUuid, validName } from '../files/files.service';
import { formatPath, InvalidPathError, joinPath, parsePath } from '../files/names';
import { MediaJobs } from '../media/media-jobs';
import { OBJECT_STORAGE } from '../storage/storage.module';
import { isVideo } from './media-kind';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { sha256Of, UploadHashes } from './upload-hashes';
import { createTusStore } from './tus-store.factory';

const ID_PREFIX = 'originals/';
const JANITOR_INTERVAL_MS = 10 * 60 * 1000;

/** A refusal tus sends as the response: its status, and our JSON error body. */
function refuse(status: number, code: string, message: string): { status_code: number; body: string } {
  return { status_code: status, body: JSON.stringify({ statusCode: status, code, message }) };
}

/**
 * Resumable uploads (tus 1.0 via @tus/server). An upload reserves its path when it is created,
 * streams straight into object storage at its final key, and becomes a file only after its
 * sha256 is checked against what the client declared.
 */
@Injectable()
export class UploadsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('uploads');
  private readonly hashes = new UploadHashes();
  /** Which upload each creation request reserved a path for, to release it if creation fails. */
  private readonly reservedBy = new WeakMap<object, string>();
  /** The tailnet user of the request tus is handling (tus' hooks see only its own request object). */
  private readonly uploader = new AsyncLocalStorage<string | null>();
  private readonly store: DataStore;
  readonly tus: Server;
  private janitor?: NodeJS.Timeout;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly files: FilesService,
    private readonly entries: EntriesRepository,
    private readonly events: EventsRepository,
    private readonly mediaJobs: MediaJobs,
    metrics: GatewayMetrics,
  ) {
    this.store = createTusStore(config, this.expiryMs);
    this.hashes.attach(this.store);
    this.hashes.onBytes((bytes) => metrics.uploadBytes.inc(bytes));
    this.tus = new Server({
      path: UPLOADS_PATH,
      datastore: this.store,
      // Relative Location headers work behind `tailscale serve` and any other proxy.
      relativeLocation: true,
      respectForwardedHeaders: false,
      namingFunction: () => `${ID_PREFIX}${crypto.randomUUID()}`,
      generateUrl: (_req, { path, id }) => `${path}/${id.slice(ID_PREFIX.length)}`,
      getFileIdFromRequest: (_req, lastPath) => (lastPath && isUuid(lastPath) ? `${ID_PREFIX}${lastPath}` : undefined),
      onUploadCreate: async (req, upload) => {
        const reserved = await this.reserve(upload, currentTraceId(), this.uploader.getStore() ?? null);
        this.reservedBy.set(req, upload.id);
        return reserved;
      },
      onUploadFinish: (req, upload) => this.finish(upload, currentTraceId()),
      // tus answers an unexpected error with a bare 500; the reason belongs in our log.
      onResponseError: async (req, error) => {
        if (error instanceof Error) this.logger.error(`${req.method} ${new URL(req.url).pathname} failed: ${error.message}`);
        if (req.method === 'POST') await this.releaseIfNeverCreated(req);
        return undefined;
      },
    });
    this.tus.on(EVENTS.POST_TERMINATE, (_req, _res, id) => void this.forget(id));
  }

  private get expiryMs(): number {
    return this.config.uploadExpiryHours * 60 * 60 * 1000;
  }

  handle(req: Request, res: Response): Promise<void> {
    return this.uploader.run(callerOf(req).user, async () => {
      if (req.method === 'HEAD') {
        try {
          await this.finishIfComplete(req);
        } catch (error) {
          const refusal = error as Partial<ReturnType<typeof refuse>>;
          if (typeof refusal?.status_code !== 'number') throw error;
          res.status(refusal.status_code).type('application/json').send(refusal.body);
          return;
        }
      }
      await this.tus.handle(req, res);
    });
  }

  /**
   * All the bytes are in but the upload never became a file (the gateway or Postgres died during
   * its last PATCH): tus would answer HEAD with the full offset, and the client count the upload
   * done. Finish it first, so what the client is told is true; if that fails, HEAD fails and the
   * client asks again.
   */
  private async finishIfComplete(req: Request): Promise<void> {
    const id = req.path.split('/').pop() ?? '';
    if (!isUuid(id) || (await this.entries.findById(id))?.status !== 'uploading') return;
    const upload = await this.store.getUpload(`${ID_PREFIX}${id}`).catch(() => null);
    if (upload?.size !== undefined && upload.offset === upload.size) await this.finish(upload, currentTraceId());
  }

  /** Creation: validate the metadata and reserve the path, before a single byte is accepted; `owner` is the uploader. */
  private async reserve(upload: Upload, traceId: string, owner: string | null): Promise<{ metadata: Upload['metadata'] }> {
    const meta = upload.metadata ?? {};
    const rawName = meta[UPLOAD_METADATA.name];
    if (!rawName) throw refuse(400, 'invalid_name', `Upload-Metadata needs "${UPLOAD_METADATA.name}" (the file's name)`);
    const declared = meta[UPLOAD_METADATA.sha256];
    if (declared && !/^[0-9a-f]{64}$/i.test(declared)) throw refuse(400, 'bad_request', `"${UPLOAD_METADATA.sha256}" must be 64 hex digits`);
    const name = asTusError(() => validName(rawName));
    // Uploading into a folder that does not exist yet creates it, as a copy would.
    const folderSegments = asTusError(() => parseFolder(meta[UPLOAD_METADATA.folder] ?? '/'));
    const folder = folderSegments.length === 0 ? null : await asTusErrorAsync(() => this.files.createFolder(formatPath(folderSegments), { parents: true, traceId, owner }));
    const mime = pickMime(meta[UPLOAD_METADATA.mime], name);
    try {
      await this.entries.insert({
        id: upload.id.slice(ID_PREFIX.length),
        parentId: folder?.id ?? null,
        kind: 'file',
        name,
        size: upload.size ?? null,
        mime,
        storageKey: upload.id,
        status: 'uploading',
        owner,
      });
    } catch (error) {
      const path = joinPath(folder?.path ?? '/', name);
      if (error instanceof NameTakenError) throw refuse(409, 'already_exists', `${path} already exists (or is being uploaded); pick another name or delete it first`);
      throw error;
    }
    return { metadata: { ...meta, [UPLOAD_METADATA.mime]: mime, [UPLOAD_METADATA.name]: name } };
  }

  /** The last byte landed: check the hash, make it a file, log it, and hand videos to the pipeline. */
  private async finish(upload: Upload, traceId: string): Promise<Record<string, never>> {
    const id = upload.id.slice(ID_PREFIX.length);
    const entry = await this.entries.findById(id);
    if (!entry) {
      await this.store.remove(upload.id).catch(() => undefined);
      throw refuse(410, 'gone', 'this upload was deleted while it was running');
    }
    const size = upload.size ?? upload.offset;
    const sha256 = this.hashes.digest(upload.id, size) ?? (await sha256Of(await this.storage.get(upload.id)));
    const declared = upload.metadata?.[UPLOAD_METADATA.sha256]?.toLowerCase();
    const path = formatPath(await this.entries.segmentsOf(id));
    if (declared && declared !== sha256) {
      await this.store.remove(upload.id).catch(() => undefined);
      await this.storage.deletePrefix(upload.id);
      await this.entries.transaction(async (tx) => {
        await this.entries.delete(id, tx);
        await this.events.append({ type: 'upload.rejected', subject: `file:${id}`, data: { path, size, declared, actual: sha256 }, traceId }, tx);
      });
      this.logger.warn(`refused ${path}: sha256 ${sha256} is not the declared ${declared}`);
      // 460 is tus' "Checksum Mismatch".
      throw refuse(460, 'checksum_mismatch', `the bytes received for ${path} have sha256 ${sha256}, not the declared ${declared}; the upload was discarded, send it again`);
    }
    const video = isVideo(entry.mime, entry.name);
    await this.entries.transaction(async (tx) => {
      await this.entries.update(id, { status: 'ready', size, sha256, mediaStatus: video ? 'queued' : 'none' }, tx);
      await this.events.append({ type: 'upload.completed', subject: `file:${id}`, data: { path, size, sha256, mime: entry.mime }, traceId }, tx);
      if (video) await this.events.append({ type: 'media.queued', subject: `file:${id}`, data: { path }, traceId }, tx);
    });
    if (video) await this.mediaJobs.enqueue(entry, traceId);
    return {};
  }

  /**
   * A creation that failed after its path was reserved (the store refused it) must not keep the
   * name taken: a retry would otherwise get 409 until the upload expired. If the store did create
   * the upload (creation-with-upload failing mid-body), it stays, resumable.
   */
  private async releaseIfNeverCreated(req: object): Promise<void> {
    const uploadId = this.reservedBy.get(req);
    if (!uploadId) return;
    const created = await this.store.getUpload(uploadId).then(
      () => true,
      () => false,
    );
    if (!created) await this.forget(uploadId);
  }

  /** A client terminated its upload: the path is free again. */
  private async forget(uploadId: string): Promise<void> {
    this.hashes.forget(uploadId);
    const id = uploadId.slice(ID_PREFIX.length);
    const entry = await this.entries.findById(id);
    if (entry?.status === 'uploading') await this.entries.delete(id);
  }

  /** Unfinished uploads past their expiry lose their bytes and free their path. */
  async removeExpired(): Promise<number> {
    const stale = await this.entries.staleUploads(new Date(Date.now() - this.expiryMs));
    for (const entry of stale) {
      await this.store.remove(entry.storageKey!).catch(() => undefined);
      await this.storage.deletePrefix(entry.storageKey!);
      await this.entries.delete(entry.id);
      this.hashes.forget(entry.storageKey!);
    }
    this.hashes.prune(this.expiryMs);
    if (stale.length) this.logger.log(`removed ${stale.length} expired unfinished upload(s)`);
    return stale.length;
  }

  onModuleInit(): void {
    this.janitor = setInterval(() => void this.removeExpired().catch((e: Error) => this.logger.error(`cleaning expired uploads failed: ${e.message}`)), JANITOR_INTERVAL_MS);
    this.janitor.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.janitor);
  }
}

function parseFolder(path: string): string[] {
  try {
    return parsePath(path);
  } catch (error) {
    if (error instanceof InvalidPathError) throw new BadRequestException({ code: 'invalid_path', message: error.message });
    throw error;
  }
}

function pickMime(declared: string | null | undefined, name: string): string {
  if (declared && declared !== 'application/octet-stream' && /^[\w.+-]+\/[\w.+-]+$/.test(declared)) return declared;
  return mimeLookup(name) || 'application/octet-stream';
}

/** Our HttpExceptions (400 invalid_name ...) become tus refusals with the same JSON body. */
function asTusError<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw toTus(error);
  }
}

async function asTusErrorAsync<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toTus(error);
  }
}

function toTus(error: unknown): unknown {
  if (!(error instanceof HttpException)) return error;
  const body = error.getResponse() as { code?: string; message?: string };
  return refuse(error.getStatus(), body.code ?? 'bad_request', body.message ?? error.message);
}
