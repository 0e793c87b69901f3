import { Module } from '@nestjs/common';
import { EventsRepository } from '../events/events.repository';
import { ContentController } from './content.controller';
import { EntriesRepository } from './entries.repository';
import { FilesController } from './files.controller';
import { FilesService } from './files.service';
import { UploadProgress } from './upload-progress';

@Module({
  controllers: [FilesController, ContentController],
  providers: [FilesService, EntriesRepository, EventsRepository, UploadProgress],
  exports: [FilesService, EntriesRepository, EventsRepository],
})
export class FilesModule {}
