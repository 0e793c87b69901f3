import { Controller, Get, Head, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ObjectNotFoundError } from '@nebula/shared/storage';
import { FilesService } from './files.service';
import { ReadyFiles, type ReadyFile } from './ready-files';
import { ContentSender, unsetContentHeaders } from './content-sender';
import { ConflictError } from '../errors/domain-errors';

/**
 * The original bytes of a file, whole or by range: what players that want the file (VLC, mpv, TVs)
 * use. A file already in ReadyFiles is mostly answered in front of Express (content-fast-path.ts);
 * this route is for the rest, from the database.
 */
@ApiTags('files')
@Controller('api/files/:id/content')
export class ContentController {
  constructor(
    private readonly files: FilesService,
    private readonly sender: ContentSender,
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
    try {
      await this.sender.send(file, !!download, req, res, withBody);
    } catch (error) {
      // Deleted by another gateway process whose event has not arrived yet: the database knows.
      if (!(error instanceof ObjectNotFoundError)) throw error;
      this.readyFiles.forget(id);
      unsetContentHeaders(res);
      await this.files.entryById(id);
      throw error;
    }
  }
}
