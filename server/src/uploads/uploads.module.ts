import { Module } from '@nestjs/common';
import { FilesModule } from '../files/files.module';
import { MediaModule } from '../media/media.module';
import { UploadsController } from './uploads.controller';
import { UploadsService } from './uploads.service';

@Module({
  imports: [FilesModule, MediaModule],
  controllers: [UploadsController],
  providers: [UploadsService],
  exports: [UploadsService],
})
export class UploadsModule {}
