import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { hlsMaster, type MediaDetails } from '@nebula/contract';
import { storageKeys } from '@nebula/shared';
import type { ObjectStorage } from '@nebula/shared/storage';
import { FilesService } from '../files/files.service';
import { OBJECT_STORAGE } from '../storage/storage.module';
import { MediaAttemptsRepository } from './media-attempts.repository';

@ApiTags('media')
@Controller('api/files/:id/media')
export class MediaController {
  constructor(
    private readonly files: FilesService,
    private readonly attempts: MediaAttemptsRepository,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
  ) {}

  @Get()
  @ApiOperation({ summary: 'A file\u2019s media state: status, ffprobe result, HLS, poster and seek-preview URLs, and every job attempt' })
  async get(@Param('id') id: string): Promise<MediaDetails> {
    const file = await this.files.entryById(id);
    const [master, poster, storyboard, attempts] = await Promise.all([
      this.storage.stat(storageKeys.rendition(file.id, 'master.m3u8')),
      this.storage.stat(storageKeys.poster(file.id)),
      this.storage.stat(storageKeys.storyboard(file.id)),
      this.attempts.forFile(file.id),
    ]);
    return {
      status: file.mediaStatus,
      error: file.mediaError,
      probe: file.probe,
      hls: master ? hlsMaster(file.id) : null,
      poster: poster ? `/api/files/${file.id}/poster.jpg` : null,
      storyboard: storyboard ? `/${storageKeys.storyboard(file.id)}` : null,
      attempts,
    };
  }
}
