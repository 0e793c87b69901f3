import { Module } from '@nestjs/common';
import { FilesModule } from '../files/files.module';
import { HlsController } from './hls.controller';
import { MediaAttemptsRepository } from './media-attempts.repository';
import { MediaJobListRepository } from './media-job-list.repository';
import { MediaJobsController } from './media-jobs.controller';
import { MediaController } from './media.controller';
import { MediaJobs } from './media-jobs';
import { MediaPipeline } from './media-pipeline.service';
import { MediaReconciler } from './media-reconciler';
import { MediaStateRepository } from './media-state.repository';

/** The one provider of the media pipeline: uploads and events import this module to queue and replay. */
@Module({
  imports: [FilesModule],
  controllers: [HlsController, MediaController, MediaJobsController],
  providers: [MediaAttemptsRepository, MediaJobListRepository, MediaJobs, MediaPipeline, MediaStateRepository, MediaReconciler],
  exports: [MediaPipeline],
})
export class MediaModule {}
