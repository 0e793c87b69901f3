import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { extname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { storageKeys } from '@nebula/shared';
import { assertValidKey, type ObjectStorage } from '@nebula/shared/storage';
import { isUuid } from '../files/files.service';
import { notModified } from '../files/range';
import { OBJECT_STORAGE } from '../storage/storage.module';
import { NotFoundError } from '../errors/domain-errors';

const CONTENT_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.jpg': 'image/jpeg',
  // Seek previews: the WebVTT track beside master.m3u8, its sprite sheets (.jpg) in the run's folder.
  '.vtt': 'text/vtt; charset=utf-8',
};

/**
 * Segments, init files and sprite sheets never change once written (a re-run writes under new
 * names), so they are cached for good. Playlists change while the ladder is being made (EVENT
 * playlists grow), and a re-run rewrites them and the storyboard track, so clients revalidate those.
 */
function cacheControl(ext: string): string {
  return ext === '.m3u8' || ext === '.vtt' ? 'no-cache' : 'public, max-age=31536000, immutable';
}

@ApiTags('media')
@Controller()
export class HlsController {
  constructor(@Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage) {}

  @Get('hls/:fileId/*path')
  @ApiOperation({ summary: 'HLS: master.m3u8, variant playlists, init segments, .m4s segments, and the seek previews (storyboard.vtt and its sprite sheets)' })
  async hls(@Param('fileId') fileId: string, @Param('path') path: string | string[], @Req() req: Request, @Res() res: Response): Promise<void> {
    const name = Array.isArray(path) ? path.join('/') : path;
    const ext = extname(name).toLowerCase();
    if (!isUuid(fileId) || !CONTENT_TYPES[ext]) throw new NotFoundError('not_found', 'no such HLS file');
    const key = storageKeys.rendition(fileId, name);
    try {
      assertValidKey(key);
    } catch {
      throw new NotFoundError('not_found', 'no such HLS file');
    }
    await this.send(key, CONTENT_TYPES[ext]!, cacheControl(ext), req, res);
  }

  @Get('api/files/:id/poster.jpg')
  @ApiOperation({ summary: 'The poster frame of a video' })
  async poster(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    if (!isUuid(id)) throw new NotFoundError('not_found', 'no poster');
    await this.send(storageKeys.poster(id), 'image/jpeg', 'no-cache', req, res);
  }

  private async send(key: string, contentType: string, cache: string, req: Request, res: Response): Promise<void> {
    const stat = await this.storage.stat(key);
    if (!stat) throw new NotFoundError('not_found', 'not there (yet): the media pipeline may still be working on it');
    const etag = `W/"${stat.size.toString(16)}-${stat.modified.getTime().toString(16)}"`;
    res.set({ 'Content-Type': contentType, 'Cache-Control': cache, ETag: etag, 'Content-Length': String(stat.size) });
    if (notModified(req.headers['if-none-match'], etag.replace(/^W\//, ''))) {
      res.status(304).end();
      return;
    }
    await pipeline(await this.storage.get(key), res).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ERR_STREAM_PREMATURE_CLOSE') res.destroy(error);
    });
  }
}
