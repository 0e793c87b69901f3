import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { MediaJobDto } from '@nebula/contract';
import { FilesService } from '../files/files.service';
import { wholeNumber } from '../http/query';
import { MediaJobListRepository } from './media-job-list.repository';

/**
 * How many queued and processing jobs the limit left out. A header rather than a wrapper object,
 * so the body stays the plain list that clients (and older CLIs) read.
 */
const MORE_JOBS_HEADER = 'x-more-jobs';

@ApiTags('media')
@Controller('api/media/jobs')
export class MediaJobsController {
  constructor(
    private readonly jobs: MediaJobListRepository,
    private readonly files: FilesService,
  ) {}

  @Get()
  @ApiOperation({
    summary:
      'Media jobs: queued and running ones (with progress; at most ?limit=200, the rest counted in the x-more-jobs header), then the most recently finished (?recent=20); ?path= keeps a file, or a folder and everything under it',
  })
  async list(@Res({ passthrough: true }) res: Response, @Query('recent') recent?: string, @Query('limit') limit?: string, @Query('path') path?: string): Promise<MediaJobDto[]> {
    const finished = Math.min(wholeNumber(recent, 'recent', 20, 0), 500);
    const inFlight = Math.min(wholeNumber(limit, 'limit', 200, 1), 1000);
    // The root is no entry: no path, or "/", means every job.
    const under = path && path.replace(/\/+/g, '') !== '' ? (await this.files.lookup(path)).id : null;
    const page = await this.jobs.list({ recent: finished, limit: inFlight, under });
    res.setHeader(MORE_JOBS_HEADER, String(page.more));
    return page.jobs;
  }
}
