import { Module } from '@nestjs/common';
import { EventsRepository } from '../events/events.repository';
import { ContentController } from './content.controller';
import { ContentSender } from './content-sender';
import { EntriesRepository } from './entries.repository';
import { FilesController } from './files.controller';
import { FilesService } from './files.service';
import { ReadyFiles } from './ready-files';
import { UploadProgress } from './upload-progress';

@Module({
  controllers: [FilesController, ContentController],
  providers: [FilesService, EntriesRepository, EventsRepository, UploadProgress, ReadyFiles, ContentSender],
  exports: [FilesService, EntriesRepository, EventsRepository, ReadyFiles, ContentSender],
})
export class FilesModule {}
