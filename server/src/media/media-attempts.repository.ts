import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { MediaAttemptDto } from '@nebula/contract';

interface AttemptRow {
  job_id: string;
  attempt: number;
  run_id: string;
  accel_path: string | null;
  status: MediaAttemptDto['status'];
  error: string | null;
  steps: MediaAttemptDto['steps'];
  worker_id: string | null;
  trace_id: string | null;
  started_at: Date;
  finished_at: Date | null;
}

/** Reads the media job journal the worker writes (table media_attempts). */
@Injectable()
export class MediaAttemptsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async forFile(fileId: string): Promise<MediaAttemptDto[]> {
    const rows: AttemptRow[] = await this.db.query(`SELECT * FROM media_attempts WHERE file_id = $1 ORDER BY id`, [fileId]);
    return rows.map((r) => ({
      jobId: r.job_id,
      attempt: r.attempt,
      runId: r.run_id,
      accelPath: r.accel_path,
      status: r.status,
      error: r.error,
      steps: r.steps,
      workerId: r.worker_id,
      traceId: r.trace_id,
      startedAt: r.started_at.toISOString(),
      finishedAt: r.finished_at?.toISOString() ?? null,
    }));
  }
}
