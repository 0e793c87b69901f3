import { Module } from '@nestjs/common';
import { FilesModule } from '../files/files.module';
import { HlsController } from './hls.controller';
import { MediaAttemptsRepository } from './media-attempts.repository';
import { MediaJobListRepository } from './media-job-list.repository';
import { MediaJobsController } from './media-jobs.controller';
import { MediaController } from './media.controller';
import { MediaJobs } from './media-jobs';
import { MediaReconciler } from './media-reconciler';
import { StuckMediaRepository } from './stuck-media.repository';

@Module({ imports: [FilesModule], controllers: [HlsController, MediaController, MediaJobsController], providers: [MediaAttemptsRepository, MediaJobListRepository, MediaJobs, StuckMediaRepository, MediaReconciler] })
export class MediaModule {}
