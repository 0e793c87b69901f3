import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Server, EVENTS } from '@tus/server';
import { ERRORS, Metadata, type DataStore, type Upload } from '@tus/utils';
import type { Request, Response } from 'express';
import type { IncomingMessage } from 'node:http';
import { AsyncLocalStorage } from 'node:async_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeRequest, sendNodeResponse } from 'srvx/node';
import { lookup as mimeLookup } from 'mime-types';
import { buffer } from 'node:stream/consumers';
import { fileSubject, UPLOAD_METADATA, UPLOAD_SHA256_HEADER, UPLOADS_PATH, type ApiErrorBody } from '@nebula/contract';
import { dependencyFailure, sampleHash, type Config } from '@nebula/shared';
import { currentTraceId } from '@nebula/shared/runtime';
import { DEFAULT_S3_REQUEST_TIMEOUT_MS, type ObjectStorage } from '@nebula/shared/storage';
import { callerOf } from '../access/current-caller';
import { CONFIG } from '../config/config.module';
import { EventsRepository } from '../events/events.repository';
import { EntriesRepository, NameTakenError } from '../files/entries.repository';
import type { Entry } from '../files/entry.entity';
import { FilesService, isUuid, validName } from '../files/files.service';
import { formatPath, InvalidPathError, joinPath, parsePath } from '@nebula/contract';
import { MediaPipeline } from '../media/media-pipeline.service';
import { OBJECT_STORAGE } from '../storage/storage.module';
import { isVideo } from './media-kind';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { sha256Of, UploadHashes } from './upload-hashes';
import { sweepPartFiles } from './upload-parts';
import { createTusStore } from './tus-store.factory';
import { requestBody, StagedBody } from './request-body';
import { requestBlocks, UploadBlocks } from './upload-file-writers';
import { UploadLimit } from './upload-limit';
import { UploadRecords } from './upload-records';
import { refuse, tusErrorBody, tusRefusal } from './tus-errors';
import { DomainError } from '../errors/domain-errors';
import { InvalidError } from '../errors/domain-errors';
import { firstHeaderValue } from '../http/header-value';

const ID_PREFIX = 'originals/';
const JANITOR_INTERVAL_MS = 10 * 60 * 1000;
/** The Retry-After of a HEAD answered 423 (askAgainLater). */
const RETRY_AFTER_SECONDS = 2;
/**
 * An unfinished upload with no tus record is a creation that died between reserving its name and
 * the store recording the upload (see isOrphaned). One of this gateway process may still be on its
 * way for as long as the store can take (creationMaxMs: S3's request timeout, and this margin)...
 */
const CREATION_MARGIN_MS = 30_000;
/** ...one of an earlier process is not, once this one runs (the margin is for two gateways at once during a deploy). */
const EARLIER_CREATION_MIN_MS = 10_000;
/** How old a half-written upload record must be before the janitor takes it as abandoned (its write takes milliseconds). */
const ABANDONED_WRITE_MIN_MS = 60 * 60 * 1000;
/**
 * The Node request as tus sees it when the body is staged (see serve()): tus only listens on it for
 * 'error', and this one has none.
 */
const withoutErrors = { once: () => withoutErrors, errored: null } as unknown as IncomingMessage;

/**
 * The answer to a HEAD that met a dependency down (Postgres restarting, storage not answering):
 * 423, not 503. tus-js-client (4.3, in Uppy and in our CLI) gives an upload up on any other non-2xx
 * HEAD and creates a new one (tus/tus-js-client#895); a 423 it asks again, with its retry delays.
 * A HEAD has no body: the status is all the client reads.
 */
function askAgainLater(res: Response): void {
  res.status(423).set({ 'Tus-Resumable': '1.0.0', 'Retry-After': String(RETRY_AFTER_SECONDS), 'Cache-Control': 'no-store' }).end();
}

function errorBody(status: number, code: string, message: string): ApiErrorBody {
  return { statusCode: status, code, message };
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
  private readonly records: UploadRecords;
  private readonly limit: UploadLimit;
  /** Uploads whose last byte is being turned into a file right now, so a second final PATCH does nothing. */
  private readonly finishing = new Set<string>();
  readonly tus: Server;
  private janitor?: NodeJS.Timeout;
  /** When this process started: an upload reserved before it was not created by it (isOrphaned). */
  private readonly startedAt = Date.now();

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly files: FilesService,
    private readonly entries: EntriesRepository,
    private readonly events: EventsRepository,
    private readonly pipeline: MediaPipeline,
    metrics: GatewayMetrics,
  ) {
    this.store = createTusStore(config, this.expiryMs);
    this.records = new UploadRecords(this.store, storage, join(config.dataDir, 'uploads'));
    this.limit = new UploadLimit(config);
    this.hashes.attach(this.store);
    this.hashes.onBytes((bytes) => metrics.uploadBytes.inc(bytes));
    this.tus = new Server({
      path: UPLOADS_PATH,
      datastore: this.store,
      // Relative Location headers work behind `tailscale serve` and any other proxy.
      relativeLocation: true,
      respectForwardedHeaders: false,
      // Same-origin pages need no CORS; other origins only when configured (tus' default is "*").
      allowedOrigins: (origin) => config.access.allowedOrigins.includes(origin),
      exposedHeaders: ['X-Trace-Id'],
      allowedHeaders: [UPLOAD_SHA256_HEADER],
      // A second line behind answerFinished(): termination is for unfinished uploads only (tus
      // checks it under the upload's lock), since a finished upload's bytes are the file itself.
      disableTerminationForFinishedUploads: true,
      // Checked at creation (and advertised by OPTIONS as Tus-Max-Size); a PATCH only keeps to a configured limit.
      maxSize: (req) => (req.method === 'POST' || req.method === 'OPTIONS' || this.limit.configured ? this.currentLimit() : 0),
      namingFunction: () => `${ID_PREFIX}${crypto.randomUUID()}`,
      generateUrl: (_req, { path, id }) => `${path}/${id.slice(ID_PREFIX.length)}`,
      getFileIdFromRequest: (_req, lastPath) => (lastPath && isUuid(lastPath) ? `${ID_PREFIX}${lastPath}` : undefined),
      onUploadCreate: async (req, upload) => {
        const reserved = await this.reserve(upload, currentTraceId(), this.uploader.getStore() ?? null);
        this.reservedBy.set(req, upload.id);
        return reserved;
      },
      onUploadFinish: (req, upload) => this.finish(upload, currentTraceId(), req.headers.get(UPLOAD_SHA256_HEADER) ?? undefined),
      // tus answers an unexpected error with a 500 that quotes its message (hosts, ports, drivers):
      // the reason belongs in our log, the client gets a code (503/507 for a dependency).
      onResponseError: async (req, error) => {
        const mapped = await this.refusalFor(req, error);
        if (req.method === 'POST') await this.releaseFailedCreation(req, mapped?.status_code ?? (error as { status_code: number }).status_code);
        return mapped;
      },
    });
    // After the answer is written: POST's creation-with-upload still reads the upload back before that.
    this.tus.on(EVENTS.POST_FINISH, (_req, _res, upload) => void this.records.forget(upload.id).catch((e: Error) => this.logger.error(`removing the tus record of ${upload.id} failed: ${e.message}`)));
  }

  /** The JSON answer for an error tus is about to send; undefined keeps tus' own (a refusal of ours, or a tus one made JSON later). */
  private async refusalFor(req: { method: string; url: string }, error: Error | { status_code: number; body: string }): Promise<{ status_code: number; body: string } | undefined> {
    // A service refused (a bad name, a taken path): the same answer as anywhere else in the API.
    if (error instanceof DomainError) return tusRefusal(error);
    if ('status_code' in error) {
      // An S3 refusal (storageRefusal in tus-store.factory.ts) is an Error whose message, for the
      // log only, names the endpoint; its body for the client does not. Our own refusals are not Errors.
      if (error instanceof Error) this.logger.error(`${req.method} ${new URL(req.url).pathname} failed: ${error.message}`);
      if (error.body !== ERRORS.FILE_WRITE_ERROR.body) return undefined;
      // @tus/file-store hides why a write failed; a full disk is worth telling apart.
      const full = await this.limit.diskFull();
      this.logger.error(`${req.method} ${new URL(req.url).pathname}: writing the upload failed${full ? ': the disk is full' : ''}`);
      return full ? refuse(507, 'storage_full', 'the server has no space left for this upload; free some space, then resume it') : undefined;
    }
    const failure = dependencyFailure(error);
    this.logger.error(`${req.method} ${new URL(req.url).pathname} failed${failure ? ` (${failure.code})` : ''}: ${error.message}`);
    if (failure) return refuse(failure.statusCode, failure.code, failure.message);
    return refuse(500, 'internal', 'Something went wrong on the server; the details are in its log.');
  }

  private async currentLimit(): Promise<number> {
    // No limit beats a broken upload path: a store that cannot be measured fails on its own, clearly.
    return this.limit.current().catch(() => 0);
  }

  /**
   * How long a creation of this process may still be on its way to the store: S3's request timeout
   * as configured (S3_REQUEST_TIMEOUT_SECONDS), and a margin. A store slower still than that costs
   * the client its upload, not its file: created for a name released meanwhile, the upload is
   * refused 410 gone when it finishes, and sent again.
   */
  private get creationMaxMs(): number {
    const storage = this.config.storage;
    return (storage.driver === 's3' ? (storage.requestTimeoutMs ?? DEFAULT_S3_REQUEST_TIMEOUT_MS) : 0) + CREATION_MARGIN_MS;
  }

  private get expiryMs(): number {
    return this.config.uploadExpiryHours * 60 * 60 * 1000;
  }

  handle(req: Request, res: Response): Promise<void> {
    return this.uploader.run(callerOf(req).user, async () => {
      try {
        await this.serve(req, res);
      } catch (error) {
        if (!(req.method === 'HEAD' && dependencyFailure(error)?.statusCode === 503)) throw error;
        this.logger.error(`HEAD ${req.path} failed: ${(error as Error).message}`);
        askAgainLater(res);
      }
    });
  }

  private async serve(req: Request, res: Response): Promise<void> {
    if (req.method === 'HEAD') {
      try {
        await this.finishIfComplete(req);
      } catch (error) {
        const refusal = error instanceof DomainError ? tusRefusal(error) : (error as Partial<ReturnType<typeof refuse>>);
        if (typeof refusal?.status_code !== 'number') throw error;
        if (refusal.status_code === 503) askAgainLater(res);
        else res.status(refusal.status_code).type('application/json').send(refusal.body);
        return;
      }
    }
    if (await this.answerFinished(req, res)) return;
    if (await this.refuseForeignTermination(req, res)) return;
    if (await this.answerWithUnfinished(req, res)) return;
    const request = new NodeRequest({ req, res });
    // tus reads a PATCH's bytes from request.body: srvx's copies every chunk (see request-body.ts).
    // On the fs driver they are copied into the upload's staging blocks instead, which its file
    // writer then takes as they are (StagedBody).
    const staging = this.bodyBlocks(req);
    let staged: StagedBody | undefined;
    let body: ReadableStream<Uint8Array> | undefined;
    const bodyOf = () => (staging ? (staged = new StagedBody(req, staging.blocks, staging.offset)).stream : requestBody(req));
    if (req.method === 'PATCH' || req.method === 'POST') Object.defineProperty(request, 'body', { get: () => (body ??= bodyOf()) });
    // tus ends a PATCH's body where it is when the Node request emits 'error' (the client went
    // away): what its body still held would be lost, and a staged body holds up to 16 MiB. Its
    // listener goes on a stand-in that never emits; the staged body ends where the bytes did instead.
    if (staging) request.runtime = { name: 'node', node: { req: withoutErrors, res } };
    const handled = () => this.tus.handleWeb(request as unknown as globalThis.Request);
    let response: globalThis.Response;
    try {
      response = await (staging ? requestBlocks.run(staging.blocks, handled) : handled());
    } finally {
      // tus is done with the body (its writer has settled and released the blocks): the blocks go back.
      staged?.detach();
      staging?.blocks.release();
    }
    // The name is free before the client hears that its upload is gone: a new upload of the same
    // name right after (nebula upload --replace, the web's Discard) must not get 409.
    const terminated = req.method === 'DELETE' && response.status === 204 ? uploadIdOf(req) : null;
    if (terminated) await this.forget(`${ID_PREFIX}${terminated}`);
    await sendNodeResponse(res, response.status >= 400 ? await this.asJsonError(req, response) : response);
  }

  /**
   * On the fs driver, the staging blocks a PATCH's body (or a creation's, which starts at 0) is
   * copied into, placed from the offset the request names; none for a request without a body, on
   * the s3 driver (its parts go through files), or while other uploads hold every block.
   */
  private bodyBlocks(req: Request): { blocks: UploadBlocks; offset: number } | undefined {
    if (this.config.storage.driver !== 'fs') return undefined;
    const hasBody = (req.headers['content-length'] ?? '0') !== '0' || req.headers['transfer-encoding'] !== undefined;
    const offset = req.method === 'POST' ? 0 : req.method === 'PATCH' ? Number(firstHeaderValue(req.headers['upload-offset']) ?? NaN) : NaN;
    if (!hasBody || !Number.isSafeInteger(offset) || offset < 0) return undefined;
    const blocks = UploadBlocks.of();
    return blocks && { blocks, offset };
  }

  /** tus' refusals are plain text; ours are JSON with a stable code, like the rest of the API. */
  private async asJsonError(req: Request, response: globalThis.Response): Promise<globalThis.Response> {
    const body = tusErrorBody(response.status, await response.text());
    if (body.code === 'too_large' && req.method === 'POST') {
      const limit = await this.currentLimit();
      if (limit > 0) body.message = `the upload is larger than this Nebula accepts: at most ${limit} bytes (${this.limit.configured ? 'NEBULA_MAX_UPLOAD_SIZE' : 'the free space of its storage, less a margin'})`;
    }
    // tus says 400 for terminating a finished upload; it is a conflict with the upload's state. An
    // extension we do not offer (Upload-Concat) is the client's mistake to fix: 400, not tus' 501.
    let status = body.code === 'upload_finished' ? 409 : body.code === 'unsupported' ? 400 : response.status;
    const headers = new Headers(response.headers);
    if (req.method === 'HEAD' && status === 503) {
      status = 423;
      headers.set('Retry-After', String(RETRY_AFTER_SECONDS));
    }
    body.statusCode = status;
    const text = JSON.stringify(body);
    headers.set('Content-Type', 'application/json; charset=utf-8');
    headers.set('Content-Length', String(Buffer.byteLength(text)));
    return new globalThis.Response(text, { status, headers });
  }

  /**
   * A finished upload is a file: tus must not touch it again. Its id is the file's id, shown in
   * every listing, and with the fs and s3 stores its bytes are the file's bytes. HEAD says it is
   * complete (a client whose last answer was lost learns it is done), an empty PATCH at its end is
   * acknowledged and changes nothing, and DELETE (termination) is refused: deleting a file is
   * DELETE /api/files/<id>, which also logs it. Returns whether it answered.
   */
  private async answerFinished(req: Request, res: Response): Promise<boolean> {
    if (req.method !== 'HEAD' && req.method !== 'PATCH' && req.method !== 'DELETE') return false;
    if (!req.headers['tus-resumable']) return false;
    const id = uploadIdOf(req);
    if (!id) return false;
    const entry = await this.entries.findById(id);
    if (!entry || entry.kind !== 'file' || entry.status === 'uploading') return false;
    const size = String(entry.size ?? 0);
    res.setHeader('Tus-Resumable', '1.0.0');
    res.setHeader('Cache-Control', 'no-store');
    const origin = req.headers.origin;
    if (origin && this.config.access.allowedOrigins.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', 'Upload-Offset, Upload-Length, Tus-Resumable, X-Trace-Id');
    }
    if (req.method === 'HEAD') {
      res.status(200).set({ 'Upload-Offset': size, 'Upload-Length': size }).end();
      return true;
    }
    if (req.method === 'DELETE') {
      res.status(409).json(errorBody(409, 'upload_finished', 'this upload is finished: it is a file now, and termination only applies to unfinished uploads; delete the file instead (DELETE /api/files/<id>, nebula rm)'));
      return true;
    }
    const emptyBody = (req.headers['content-length'] ?? '0') === '0' && req.headers['transfer-encoding'] === undefined;
    if (req.headers['upload-offset'] === size && emptyBody) {
      res.status(204).set('Upload-Offset', size).end();
      return true;
    }
    const offsetWrong = req.headers['upload-offset'] !== size;
    res
      .status(409)
      .json(
        offsetWrong
          ? errorBody(409, 'offset_mismatch', `this upload is finished at ${size} bytes; nothing more can be written to it`)
          : errorBody(409, 'upload_finished', `this upload is finished at ${size} bytes; nothing more can be written to it`),
      );
    return true;
  }

  /**
   * Only the user who started an upload may give it up (nebula upload --replace, the web's Discard):
   * anyone else on the tailnet gets 403 and the upload goes on. Uploads with no known owner (no
   * tailnet identity, as on loopback) stay open to every caller, as before identities.
   */
  private async refuseForeignTermination(req: Request, res: Response): Promise<boolean> {
    if (req.method !== 'DELETE') return false;
    const id = uploadIdOf(req);
    const entry = id ? await this.entries.findById(id) : null;
    if (!entry || entry.status !== 'uploading' || entry.owner === null) return false;
    const caller = callerOf(req).user;
    if (caller === entry.owner) return false;
    res.setHeader('Tus-Resumable', '1.0.0');
    res.status(403).json(errorBody(403, 'not_your_upload', `${entry.name} is being uploaded by ${entry.owner}; only they can give it up (or it expires unfinished)`));
    return true;
  }

  /**
   * All the bytes are in but the upload never became a file (the gateway or Postgres died during
   * its last PATCH): tus would answer HEAD with the full offset, and the client count the upload
   * done. Finish it first, so what the client is told is true; if that fails, HEAD fails and the
   * client asks again.
   */
  private async finishIfComplete(req: Request): Promise<void> {
    const id = uploadIdOf(req);
    if (!id || (await this.entries.findById(id))?.status !== 'uploading') return;
    const upload = await this.store.getUpload(`${ID_PREFIX}${id}`).catch(() => null);
    if (upload?.size === undefined || upload.offset !== upload.size) return;
    await this.finish(upload, currentTraceId());
    // tus' POST_FINISH, which forgets its record, does not come for an upload finished here.
    await this.records.forget(upload.id);
  }

  /**
   * A creation (POST, no body) of an upload its owner already started: the same name in the same
   * folder, the same size and the same declared sha256. Any tus client does this when it lost the
   * upload's URL (a HEAD that failed while the gateway restarted makes tus-js-client start over;
   * another device has no URL at all). It gets the unfinished upload's URL (201, as a creation
   * would), its first PATCH at 0 learns the real offset (409, then HEAD), and it goes on from there
   * instead of failing on a name its own upload holds. Anything else goes on to tus and reserve().
   */
  private async answerWithUnfinished(req: Request, res: Response): Promise<boolean> {
    if (req.method !== 'POST' || req.path !== UPLOADS_PATH || !req.headers['tus-resumable']) return false;
    if ((req.headers['content-length'] ?? '0') !== '0' || req.headers['transfer-encoding'] !== undefined) return false;
    try {
      const meta = Metadata.parse(firstHeaderValue(req.headers['upload-metadata']));
      // The sha256, or for a client that hashes while it sends, the sample hash: either says "the same file".
      const declared = meta[UPLOAD_METADATA.sha256]?.toLowerCase();
      const sample = meta[UPLOAD_METADATA.sample];
      const name = meta[UPLOAD_METADATA.name];
      const size = Number(firstHeaderValue(req.headers['upload-length']));
      if ((!declared && !sample) || !name || !Number.isSafeInteger(size)) return false;
      const entry = await this.entries.findByPath([...parsePath(meta[UPLOAD_METADATA.folder] ?? '/'), validName(name)]);
      if (!entry || entry.status !== 'uploading' || entry.size !== size || entry.owner !== callerOf(req).user || !entry.storageKey) return false;
      const upload = await this.store.getUpload(entry.storageKey);
      const same = declared ? upload.metadata?.[UPLOAD_METADATA.sha256]?.toLowerCase() === declared : upload.metadata?.[UPLOAD_METADATA.sample] === sample;
      if (!same) return false;
      res.setHeader('Tus-Resumable', '1.0.0');
      const origin = req.headers.origin;
      if (origin && this.config.access.allowedOrigins.includes(origin)) {
        res.setHeader('Access-Control-Allow-Origin', origin);
        res.setHeader('Access-Control-Expose-Headers', 'Location, Upload-Offset, Tus-Resumable, X-Trace-Id');
      }
      this.logger.log(`${formatPath(await this.entries.segmentsOf(entry.id))}: created again by its owner; answering with the unfinished upload (${upload.offset} of ${size} bytes in)`);
      res.status(201).location(`${UPLOADS_PATH}/${entry.id}`).end();
      return true;
    } catch {
      // Malformed metadata, a bad name, a store that does not know it: tus and reserve() say so.
      return false;
    }
  }

  /** Creation: validate the metadata and reserve the path, before a single byte is accepted; `owner` is the uploader. */
  private async reserve(upload: Upload, traceId: string, owner: string | null): Promise<{ metadata: Upload['metadata'] }> {
    const meta = upload.metadata ?? {};
    const rawName = meta[UPLOAD_METADATA.name];
    if (!rawName) throw refuse(400, 'invalid_name', `Upload-Metadata needs "${UPLOAD_METADATA.name}" (the file's name)`);
    // tus decodes metadata as UTF-8; bytes that are not (overlong forms like C0 AE for ".") come out as U+FFFD.
    if (Object.values(meta).some((v) => v?.includes('\uFFFD'))) throw refuse(400, 'invalid_metadata', 'Upload-Metadata values must be valid UTF-8 (base64 of its bytes)');
    const declared = meta[UPLOAD_METADATA.sha256];
    if (declared && !/^[0-9a-f]{64}$/i.test(declared)) throw refuse(400, 'bad_request', `"${UPLOAD_METADATA.sha256}" must be 64 hex digits`);
    const name = validName(rawName);
    // Uploading into a folder that does not exist yet creates it, as a copy would.
    const folderSegments = parseFolder(meta[UPLOAD_METADATA.folder] ?? '/');
    const folder = folderSegments.length === 0 ? null : await this.files.createFolder(formatPath(folderSegments), { parents: true, traceId, owner });
    const mime = pickMime(meta[UPLOAD_METADATA.mime], name);
    const insert = () =>
      this.entries.insert({
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
    try {
      await insert().catch(async (error: unknown) => {
        // A name held by a creation that died can be taken at once (the client retrying it is the usual case).
        if (!(error instanceof NameTakenError) || !(await this.releaseIfOrphaned(await this.entries.findChild(folder?.id ?? null, name)))) throw error;
        await insert();
      });
    } catch (error) {
      const path = joinPath(folder?.path ?? '/', name);
      if (error instanceof NameTakenError) throw await this.files.whyTaken(folder?.id ?? null, name, path, owner);
      throw error;
    }
    return { metadata: { ...meta, [UPLOAD_METADATA.mime]: mime, [UPLOAD_METADATA.name]: name } };
  }

  /**
   * The last byte landed: check the hash, make it a file, log it, and hand videos to the pipeline.
   * `finalSha256` is what the PATCH carrying the last byte declared (UPLOAD_SHA256_HEADER), for a
   * client that hashed while it sent and so could not declare it at creation.
   */
  private async finish(upload: Upload, traceId: string, finalSha256?: string): Promise<Record<string, never>> {
    // An empty PATCH at the end of an upload that is already a file (or racing its last PATCH)
    // ends here again: it must not log upload.completed twice nor queue the video again.
    if (this.finishing.has(upload.id)) return {};
    this.finishing.add(upload.id);
    try {
      return await this.finishOnce(upload, traceId, finalSha256);
    } finally {
      this.finishing.delete(upload.id);
    }
  }

  private async finishOnce(upload: Upload, traceId: string, finalSha256?: string): Promise<Record<string, never>> {
    const id = upload.id.slice(ID_PREFIX.length);
    const entry = await this.entries.findById(id);
    if (entry && entry.status !== 'uploading') return {};
    if (!entry) {
      await this.store.remove(upload.id).catch(() => undefined);
      throw refuse(410, 'gone', 'this upload was deleted while it was running');
    }
    const size = upload.size ?? upload.offset;
    const sha256 = this.hashes.digest(upload.id, size) ?? (await sha256Of(await this.storage.get(upload.id)));
    const declared = (upload.metadata?.[UPLOAD_METADATA.sha256] ?? finalSha256)?.toLowerCase();
    const path = formatPath(await this.entries.segmentsOf(id));
    if (declared && declared !== sha256) {
      // The store's remove() stops at a multipart upload that is already complete (S3 answers
      // NoSuchUpload) and would leave tus' record of it, with the name: each part goes on its own.
      await this.store.remove(upload.id).catch(() => undefined);
      await this.storage.deletePrefix(upload.id);
      await this.records.forget(upload.id);
      await this.entries.transaction(async (tx) => {
        await this.entries.delete(id, tx);
        await this.events.append({ type: 'upload.rejected', subject: fileSubject(id), data: { path, size, declared, actual: sha256 }, traceId }, tx);
      });
      this.logger.warn(`refused ${path}: sha256 ${sha256} is not the declared ${declared}`);
      // 460 is tus' "Checksum Mismatch".
      throw refuse(460, 'checksum_mismatch', `the bytes received for ${path} have sha256 ${sha256}, not the declared ${declared}; the upload was discarded, send it again`);
    }
    // Eight small ranged reads of what was just stored (the bytes have streamed past already, but
    // which blocks are sampled depends on a size a deferred-length upload learns only at its end).
    const sample = await sampleHash(size, async (range) => buffer(await this.storage.get(upload.id, range)));
    const video = isVideo(entry.mime, entry.name);
    await this.entries.transaction(async (tx) => {
      await this.entries.update(id, { status: 'ready', size, sha256, sampleHash: sample }, tx);
      await this.events.append({ type: 'upload.completed', subject: fileSubject(id), data: { path, size, sha256, mime: entry.mime }, traceId }, tx);
      if (video) await this.pipeline.recordQueued(id, { path }, traceId, tx);
    });
    if (video) await this.pipeline.dispatch(id, traceId);
    return {};
  }

  /**
   * A creation that failed after its path was reserved must not keep the name taken: a retry would
   * otherwise get 409 until the upload expired. A refusal (4xx: too large, bad body) leaves nothing
   * at all: its client got no Location, so it can never resume it. After a server-side failure
   * (5xx) an upload the store did create (creation-with-upload failing mid-body) stays, resumable.
   */
  private async releaseFailedCreation(req: object, status: number | undefined): Promise<void> {
    const uploadId = this.reservedBy.get(req);
    if (!uploadId) return;
    const created = await this.store.getUpload(uploadId).then(
      () => true,
      () => false,
    );
    if (created && status !== undefined && status < 500) {
      await this.store.remove(uploadId).catch(() => undefined);
      await this.storage.deletePrefix(uploadId).catch(() => undefined);
      await this.records.forget(uploadId).catch(() => undefined);
      await this.forget(uploadId);
    } else if (!created) await this.forget(uploadId);
  }

  /** A client terminated its upload: the path is free again. */
  private async forget(uploadId: string): Promise<void> {
    this.hashes.forget(uploadId);
    const id = uploadId.slice(ID_PREFIX.length);
    const entry = await this.entries.findById(id);
    if (entry?.status === 'uploading') await this.entries.delete(id);
  }

  /**
   * Unfinished uploads past their expiry lose their bytes and free their path; so do reservations
   * whose creation died (isOrphaned), whatever their age.
   */
  async removeExpired(): Promise<number> {
    const stale = await this.entries.staleUploads(new Date(Date.now() - this.expiryMs));
    for (const entry of stale) await this.discardUnfinished(entry);
    let orphans = 0;
    for (const entry of await this.entries.staleUploads(new Date(Date.now() - EARLIER_CREATION_MIN_MS))) {
      if (!stale.some((s) => s.id === entry.id) && (await this.releaseIfOrphaned(entry))) orphans++;
    }
    this.hashes.prune(this.expiryMs);
    const strays = await this.removeStrayRecords();
    const abandoned = await this.records.removeAbandonedWrites(new Date(Date.now() - ABANDONED_WRITE_MIN_MS));
    if (stale.length) this.logger.log(`removed ${stale.length} expired unfinished upload(s)`);
    if (strays) this.logger.log(`removed the tus records of ${strays} upload(s) that ended without them being removed`);
    if (abandoned) this.logger.log(`removed ${abandoned} half-written upload record(s) left by a gateway that was killed while writing them`);
    return stale.length + orphans;
  }

  /** An unfinished upload's bytes, tus record and entry go (the entry last: a retry finds what is left). */
  private async discardUnfinished(entry: Entry): Promise<void> {
    await this.store.remove(entry.storageKey!).catch(() => undefined);
    // With the s3 store this also takes the .info and .part objects (same prefix).
    await this.storage.deletePrefix(entry.storageKey!);
    await this.records.forget(entry.storageKey!);
    await this.entries.delete(entry.id);
    this.hashes.forget(entry.storageKey!);
  }

  /**
   * Whether `entry` is the reservation of a creation that died before the store recorded its upload:
   * the gateway was killed between the two, or the database was down when the failed creation tried
   * to give its name back (releaseFailedCreation). Its client never got the upload's URL, so nothing
   * can resume it, and it would hold its name until it expired: every retry of that same upload
   * answered 409 "your unfinished upload" (found by ops/test/chaos.test.ts). Only a store that says
   * for sure it has no record counts; one that cannot be asked keeps the entry.
   */
  private async isOrphaned(entry: Entry): Promise<boolean> {
    if (entry.kind !== 'file' || entry.status !== 'uploading' || !entry.storageKey) return false;
    const created = entry.createdAt.getTime();
    if (Date.now() - created < (created < this.startedAt ? EARLIER_CREATION_MIN_MS : this.creationMaxMs)) return false;
    return !(await this.records.exists(entry.storageKey).catch(() => true));
  }

  /** Discards `entry` when it is an orphaned reservation (isOrphaned); true when it did. */
  private async releaseIfOrphaned(entry: Entry | null): Promise<boolean> {
    if (!entry || !(await this.isOrphaned(entry))) return false;
    const path = formatPath(await this.entries.segmentsOf(entry.id));
    await this.discardUnfinished(entry);
    this.logger.warn(`${path}: its upload was never created (the gateway or the database stopped during its creation); its name is free again`);
    return true;
  }

  /**
   * tus records past the expiry whose upload is not running any more (finished before records were
   * removed, or its entry deleted mid-upload): the record goes, and with no entry left, the bytes too.
   */
  private async removeStrayRecords(): Promise<number> {
    let removed = 0;
    for await (const uploadId of this.records.olderThan(new Date(Date.now() - this.expiryMs))) {
      // Only ids Nebula named (originals/<uuid>); anything else in there is not ours to judge.
      if (!isUuid(uploadId.slice(ID_PREFIX.length))) continue;
      const entry = await this.entries.findById(uploadId.slice(ID_PREFIX.length));
      if (entry?.status === 'uploading') continue;
      if (!entry) {
        await this.store.remove(uploadId).catch(() => undefined);
        await this.storage.deletePrefix(uploadId);
      }
      await this.records.forget(uploadId);
      removed++;
    }
    return removed;
  }

  onModuleInit(): void {
    if (this.config.storage.driver === 's3') {
      void sweepPartFiles(tmpdir()).then(
        (removed) => removed > 0 && this.logger.log(`removed ${removed} part file(s) left in ${tmpdir()} by a gateway that stopped mid-upload`),
        (e: Error) => this.logger.error(`removing part files left by a stopped gateway failed: ${e.message}`),
      );
    }
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
    if (error instanceof InvalidPathError) throw new InvalidError('invalid_path', error.message);
    throw error;
  }
}

function pickMime(declared: string | null | undefined, name: string): string {
  if (declared && declared !== 'application/octet-stream' && /^[\w.+-]+\/[\w.+-]+$/.test(declared)) return declared;
  return mimeLookup(name) || 'application/octet-stream';
}

/** The upload's id in /api/uploads/<id>, or null for the collection and anything that is not an id. */
function uploadIdOf(req: Request): string | null {
  const id = req.path.slice(UPLOADS_PATH.length + 1);
  return isUuid(id) ? id : null;
}
