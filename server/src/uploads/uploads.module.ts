import { Module } from '@nestjs/common';
import { FilesModule } from '../files/files.module';
import { MediaJobs } from '../media/media-jobs';
import { UploadsController } from './uploads.controller';
import { UploadsService } from './uploads.service';

@Module({
  imports: [FilesModule],
  controllers: [UploadsController],
  providers: [UploadsService, MediaJobs],
  exports: [UploadsService],
})
export class UploadsModule {}
