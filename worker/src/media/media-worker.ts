import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Worker } from 'bullmq';
import { MEDIA_QUEUE, TRANSCODE_JOB, type TranscodeJob } from '@nebula/contract';
import { redisOptionsFromUrl, type Config } from '@nebula/shared';
import { bootTraceId, runWithTrace } from '@nebula/shared/runtime';
import { CONFIG } from '../config';
import { TranscodeService } from './transcode.service';

/**
 * The BullMQ worker on the `media` queue, built by hand rather than with @Processor so its
 * concurrency and lock come from the validated config. A worker killed mid-job stops renewing the
 * lock; after `lockSeconds` the stalled-job check hands the job to the next worker, which starts
 * it again (jobs are idempotent: each run writes under its own folder).
 */
@Injectable()
export class MediaWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('media');
  private worker?: Worker<TranscodeJob>;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly transcode: TranscodeService,
  ) {}

  onApplicationBootstrap(): void {
    const lock = this.config.worker.lockSeconds * 1000;
    this.worker = new Worker<TranscodeJob>(
      MEDIA_QUEUE,
      async (job) => {
        if (job.name !== TRANSCODE_JOB) throw new Error(`unknown media job "${job.name}"`);
        // Every log line of the job, and of the ffmpeg it runs, carries the trace of the request or
        // event that queued it.
        const trace = { traceId: job.data.traceId ?? bootTraceId, jobId: job.id, fileId: job.data.fileId };
        return runWithTrace(trace, () => this.transcode.run(job));
      },
      {
        connection: redisOptionsFromUrl(this.config.redisUrl),
        concurrency: this.config.worker.concurrency,
        lockDuration: lock,
        stalledInterval: Math.max(1000, lock / 2),
        maxStalledCount: 2,
      },
    );
    this.worker.on('error', (error) => this.logger.error(`queue: ${error.message}`));
  }

  /** Waits for running jobs to finish; main.ts bounds the wait with the grace period. */
  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }
}
