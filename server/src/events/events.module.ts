import { Module } from '@nestjs/common';
import { FilesModule } from '../files/files.module';
import { MediaJobs } from '../media/media-jobs';
import { EventFeed } from './event-feed';
import { EventsController } from './events.controller';
import { ReadyFilesFeed } from './ready-files-feed';

@Module({
  imports: [FilesModule],
  controllers: [EventsController],
  providers: [EventFeed, MediaJobs, ReadyFilesFeed],
})
export class EventsModule {}
