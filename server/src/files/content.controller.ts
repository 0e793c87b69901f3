import { Controller, Get, Head, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { ObjectNotFoundError, type ObjectStorage } from '@nebula/shared/storage';
import { OBJECT_STORAGE } from '../storage/storage.module';
import { FilesService } from './files.service';
import { ReadyFiles, type ReadyFile } from './ready-files';
import { evaluatePreconditions } from './conditional';
import { dispositionFor } from './disposition';
import { decideRange } from './range';
import { ConflictError } from '../errors/domain-errors';

/** The original bytes of a file, whole or by range: what players that want the file (VLC, mpv, TVs) use. */
@ApiTags('files')
@Controller('api/files/:id/content')
export class ContentController {
  constructor(
    private readonly files: FilesService,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly readyFiles: ReadyFiles,
  ) {}

  @Head()
  head(@Param('id') id: string, @Query('download') download: string | undefined, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.send(id, download, req, res, false);
  }

  @Get()
  @ApiOperation({ summary: 'The original, with Range / If-Range / ETag / If-Match / If-Modified-Since support (?download=1 for an attachment)' })
  get(@Param('id') id: string, @Query('download') download: string | undefined, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.send(id, download, req, res, true);
  }

  /** The file from memory when it was served before and has not changed since; else from the database. */
  private async readyFile(id: string): Promise<ReadyFile> {
    const known = this.readyFiles.get(id);
    if (known) return known;
    const file = await this.files.entryById(id);
    if (file.kind !== 'file' || file.status !== 'ready' || !file.storageKey || file.size === null) {
      throw new ConflictError('not_ready', file.kind === 'folder' ? 'a folder has no content' : 'this file is still uploading');
    }
    return this.readyFiles.remember(file);
  }

  private async send(id: string, download: string | undefined, req: Request, res: Response, withBody: boolean): Promise<void> {
    const file = await this.readyFile(id);
    const size = file.size!;
    const storageKey = file.storageKey!;
    // The content hash is the strongest validator there is. A file's bytes never change after its
    // upload (replacing it makes a new file), so its creation time is when its content last changed;
    // updatedAt also moves on a rename or a media status change.
    const validators = { etag: `"${file.sha256}"`, lastModified: file.createdAt };
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('ETag', validators.etag);
    res.setHeader('Last-Modified', validators.lastModified.toUTCString());
    res.setHeader('Cache-Control', 'private, max-age=0, must-revalidate');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', 'sandbox');
    const precondition = evaluatePreconditions(req.headers, validators);
    if (precondition === 'failed') {
      refuse(res, 412, 'precondition_failed', `the file is no longer the version asked for: its ETag is ${validators.etag} and it was last changed ${validators.lastModified.toUTCString()}`);
      return;
    }
    if (precondition === 'not-modified') {
      res.status(304).end();
      return;
    }
    const decision = decideRange({ range: req.headers.range, ifRange: header(req.headers['if-range']) }, size, validators);
    if (decision.kind === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${size}`);
      refuse(res, 416, 'range_not_satisfiable', `the file has ${size} bytes; that range lies outside it`);
      return;
    }
    res.setHeader('Content-Type', file.mime ?? 'application/octet-stream');
    // The web UI shares this origin: an uploaded page or SVG must never run as it. Such files are
    // downloaded, not shown, and nothing served here may run script or be sniffed into something else.
    const inline = !download && !runsScript(file.mime);
    res.setHeader('Content-Disposition', dispositionFor(file.name, inline ? 'inline' : 'attachment'));
    const range = decision.kind === 'partial' ? decision.range : undefined;
    if (range) res.status(206).setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    else res.status(200);
    res.setHeader('Content-Length', String(range ? range.end - range.start + 1 : size));
    if (!withBody || size === 0) {
      res.end();
      return;
    }
    try {
      if (this.storage.sendTo) {
        await this.storage.sendTo(storageKey, range, res);
        return;
      }
      const body = await this.storage.get(storageKey, range);
      // pipeline keeps backpressure and destroys the storage read when the client goes away.
      await pipeline(body, res).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ERR_STREAM_PREMATURE_CLOSE') res.destroy(error);
      });
    } catch (error) {
      // Failing part way, with the answer begun: all the client can be told is a cut connection.
      if (res.headersSent) {
        res.destroy(error as Error);
        return;
      }
      // Deleted by another gateway process whose event has not arrived yet: the database knows.
      if (!(error instanceof ObjectNotFoundError)) throw error;
      this.readyFiles.forget(id);
      for (const name of ['Content-Range', 'Content-Length', 'Content-Disposition', 'ETag', 'Last-Modified']) res.removeHeader(name);
      await this.files.entryById(id);
      throw error;
    }
  }
}

const SCRIPTABLE = new Set(['text/html', 'text/xml', 'text/xsl', 'application/xml', 'text/javascript', 'application/javascript', 'application/ecmascript']);

/** Types a browser would render as a document that can run script: HTML, XML and its kin (SVG, XHTML), JavaScript. */
export function runsScript(mime: string | null): boolean {
  const type = (mime ?? '').split(';')[0]!.trim().toLowerCase();
  return SCRIPTABLE.has(type) || type.endsWith('+xml');
}

/** An error answer: JSON, not the file's type, and no file name. */
function refuse(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ statusCode: status, code, message });
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
