import { Module } from '@nestjs/common';
import { FilesModule } from '../files/files.module';
import { HlsController } from './hls.controller';
import { MediaAttemptsRepository } from './media-attempts.repository';
import { MediaJobListRepository } from './media-job-list.repository';
import { MediaJobsController } from './media-jobs.controller';
import { MediaController } from './media.controller';

@Module({ imports: [FilesModule], controllers: [HlsController, MediaController, MediaJobsController], providers: [MediaAttemptsRepository, MediaJobListRepository] })
export class MediaModule {}
