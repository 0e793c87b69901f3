import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { MediaJobDto } from '@nebula/shared';
import { MediaJobListRepository } from './media-job-list.repository';

@ApiTags('media')
@Controller('api/media/jobs')
export class MediaJobsController {
  constructor(private readonly jobs: MediaJobListRepository) {}

  @Get()
  @ApiOperation({ summary: 'Media jobs: every queued or running one (with progress), then the most recently finished (?recent=20)' })
  list(@Query('recent') recent?: string): Promise<MediaJobDto[]> {
    const n = recent === undefined || recent === '' ? 20 : Number(recent);
    if (!Number.isInteger(n) || n < 0) throw new BadRequestException({ code: 'bad_request', message: 'recent must be a whole number of 0 or more' });
    return this.jobs.list(Math.min(n, 500));
  }
}
