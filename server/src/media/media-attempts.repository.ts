import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { MediaAttemptDto } from '@nebula/contract';
import { attemptsOf } from '@nebula/shared/db';

/** Reads the media job journal the worker writes (table media_attempts, SQL in @nebula/shared/db). */
@Injectable()
export class MediaAttemptsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  forFile(fileId: string): Promise<MediaAttemptDto[]> {
    return attemptsOf(this.db, fileId);
  }
}
