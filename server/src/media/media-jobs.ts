import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { MEDIA_QUEUE, storageKeys, TRANSCODE_JOB, type TranscodeJob } from '@nebula/shared';

/** Hands files to the media pipeline: one `transcode` job per run on the BullMQ `media` queue. */
@Injectable()
export class MediaJobs {
  constructor(@InjectQueue(MEDIA_QUEUE) private readonly queue: Queue) {}

  async enqueue(file: { id: string; name: string }, traceId: string): Promise<void> {
    await this.queue.add(
      TRANSCODE_JOB,
      { fileId: file.id, storageKey: storageKeys.original(file.id), fileName: file.name, traceId } satisfies TranscodeJob,
      {
        // A fresh id per run: a replay must not be swallowed by BullMQ's de-duplication of a finished job.
        jobId: `transcode-${file.id}-${Date.now()}`,
        attempts: 3,
        backoff: { type: 'exponential', delay: 5000 },
        removeOnComplete: { age: 7 * 24 * 3600 },
        removeOnFail: { age: 30 * 24 * 3600 },
      },
    );
  }
}
