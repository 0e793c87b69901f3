import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { ObjectStorage } from '@nebula/shared/storage';
import { OBJECT_STORAGE } from '../storage/storage.module';
import { evaluatePreconditions } from './conditional';
import { dispositionFor } from './disposition';
import { decideRange } from './range';
import type { ReadyFile } from './ready-files';
import { firstHeaderValue } from '../http/header-value';

/**
 * Sends a ready file's original bytes, whole or by range, with its validators (ETag,
 * Last-Modified), preconditions (If-Match, If-None-Match, If-Modified-Since, If-Range) and the
 * headers that keep an uploaded file from running as a page of Nebula's. On Node's own response,
 * for its two callers: the Nest route (content.controller.ts), which looks the file up, and the
 * read path in front of Express (content-fast-path.ts), for a file already in ReadyFiles.
 */
@Injectable()
export class ContentSender {
  constructor(@Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage) {}

  async send(file: ReadyFile, download: boolean, req: IncomingMessage, res: ServerResponse, withBody: boolean): Promise<void> {
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
      res.statusCode = 304;
      res.end();
      return;
    }
    const decision = decideRange({ range: req.headers.range, ifRange: firstHeaderValue(req.headers['if-range']) }, size, validators);
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
    if (range) {
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    } else res.statusCode = 200;
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
      throw error;
    }
  }
}

/** Before an error answer replaces a file's: none of the file's headers may go with it. */
export function unsetContentHeaders(res: ServerResponse): void {
  for (const name of ['Content-Range', 'Content-Length', 'Content-Disposition', 'Content-Type', 'ETag', 'Last-Modified']) res.removeHeader(name);
}

const SCRIPTABLE = new Set(['text/html', 'text/xml', 'text/xsl', 'application/xml', 'text/javascript', 'application/javascript', 'application/ecmascript']);

/** Types a browser would render as a document that can run script: HTML, XML and its kin (SVG, XHTML), JavaScript. */
export function runsScript(mime: string | null): boolean {
  const type = (mime ?? '').split(';')[0]!.trim().toLowerCase();
  return SCRIPTABLE.has(type) || type.endsWith('+xml');
}

/** An error answer: JSON, not the file's type, and no file name. */
function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ statusCode: status, code, message });
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
