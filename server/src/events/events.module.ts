import { Module } from '@nestjs/common';
import { FilesModule } from '../files/files.module';
import { MediaModule } from '../media/media.module';
import { EventFeed } from './event-feed';
import { EventsController } from './events.controller';
import { ReadyFilesFeed } from './ready-files-feed';

@Module({
  imports: [FilesModule, MediaModule],
  controllers: [EventsController],
  providers: [EventFeed, ReadyFilesFeed],
})
export class EventsModule {}
