import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { lookup } from 'mime-types';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { notModified } from '../files/range';
import { acceptsGzip, ASSET_CACHE, assetName, isCompressible, missingBuildPage, SHELL_CACHE } from './web-routes';
import { WebDist, type WebFile } from './web-dist';
import { NotFoundError } from '../errors/domain-errors';

/** The web UI: the app shell at its own URLs (see web-routes.ts) and its hashed assets. */
@ApiExcludeController()
@Controller()
export class WebController {
  constructor(@Inject(WebDist) private readonly dist: WebDist) {}

  /** Every URL the single-page app owns answers with its shell; the app reads the path itself. */
  @Get(['', 'browse', 'browse/*path', 'watch/*path', 'deploys', 'search', 'server'])
  page(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.shell(req, res);
  }

  @Get('assets/*path')
  async asset(@Param('path') path: string | string[], @Req() req: Request, @Res() res: Response): Promise<void> {
    const name = assetName(path);
    const file = name ? await this.dist.asset(name) : null;
    if (!file) throw new NotFoundError('not_found', 'no such web UI file (the page may be older than the last build: reload it)');
    await this.send(file, ASSET_CACHE, req, res);
  }

  private async shell(req: Request, res: Response): Promise<void> {
    const file = await this.dist.shell();
    if (!file) {
      res.status(503).set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).send(missingBuildPage(this.dist.dir));
      return;
    }
    await this.send(file, SHELL_CACHE, req, res);
  }

  private async send(file: WebFile, cache: string, req: Request, res: Response): Promise<void> {
    const etag = `"${file.size.toString(16)}-${file.modified.getTime().toString(16)}"`;
    const gzip = isCompressible(file.path) && acceptsGzip(req.headers['accept-encoding']);
    res.set({
      'Content-Type': contentType(file.path),
      'Cache-Control': cache,
      ETag: gzip ? `W/${etag}` : etag,
      'Last-Modified': file.modified.toUTCString(),
      'X-Content-Type-Options': 'nosniff',
      Vary: 'Accept-Encoding',
    });
    if (notModified(req.headers['if-none-match'], etag)) {
      res.status(304).end();
      return;
    }
    if (gzip) res.set('Content-Encoding', 'gzip');
    else res.set('Content-Length', String(file.size));
    res.status(200);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const body = file.open();
    await (gzip ? pipeline(body, createGzip({ level: 6 }), res) : pipeline(body, res)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ERR_STREAM_PREMATURE_CLOSE') res.destroy(error);
    });
  }
}

function contentType(path: string): string {
  const type = lookup(basename(path)) || 'application/octet-stream';
  return /^text\/|javascript|json|svg/.test(type) ? `${type}; charset=utf-8` : type;
}
