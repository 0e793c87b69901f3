import { Module } from '@nestjs/common';
import { FilesModule } from '../files/files.module';
import { HlsController } from './hls.controller';
import { MediaAttemptsRepository } from './media-attempts.repository';
import { MediaController } from './media.controller';

@Module({ imports: [FilesModule], controllers: [HlsController, MediaController], providers: [MediaAttemptsRepository] })
export class MediaModule {}
