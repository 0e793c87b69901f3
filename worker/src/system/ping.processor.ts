import { Processor, WorkerHost } from '@nestjs/bullmq';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job } from 'bullmq';
import type { DataSource } from 'typeorm';
import { SYSTEM_QUEUE, type PingJob, type WorkerReport } from '@nebula/contract';
import { CapabilitiesService } from './capabilities.service';

/** Answers the gateway's health pings with what this worker sees. Its own queue, so a long transcode never delays it. */
@Processor(SYSTEM_QUEUE, { concurrency: 4 })
export class PingProcessor extends WorkerHost {
  constructor(
    private readonly capabilities: CapabilitiesService,
    @InjectDataSource() private readonly db: DataSource,
  ) {
    super();
  }

  async process(_job: Job<PingJob>): Promise<WorkerReport> {
    const postgres = await this.db.query('SELECT 1').then(
      () => 'ok' as const,
      () => 'down' as const,
    );
    const ffmpeg = this.capabilities.ffmpeg;
    return {
      workerId: this.capabilities.workerId,
      postgres,
      ffmpeg: 'version' in ffmpeg ? { state: 'ok', version: ffmpeg.version } : { state: 'down', error: ffmpeg.error },
      hwaccel: this.capabilities.hwaccel,
    };
  }
}
