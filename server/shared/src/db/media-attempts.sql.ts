import type { MediaAttemptDto } from '@nebula/contract';
import { json, type Sql } from './sql';

/** The `media_attempts` table, the journal of media jobs: the worker writes it, the gateway shows it. */

export interface AttemptStep {
  path: string;
  error?: string;
}

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

export async function startAttempt(sql: Sql, a: { fileId: string; jobId: string; attempt: number; runId: string; traceId?: string; workerId: string }): Promise<string> {
  const rows: { id: string }[] = await sql.query(
    `INSERT INTO media_attempts (file_id, job_id, attempt, run_id, trace_id, worker_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [a.fileId, a.jobId, a.attempt, a.runId, a.traceId ?? null, a.workerId],
  );
  return rows[0]!.id;
}

/** How an attempt ended. */
export interface AttemptResult {
  status: 'succeeded' | 'failed';
  accelPath: string | null;
  error: string | null;
  steps: AttemptStep[];
}

export async function finishAttempt(sql: Sql, id: string, result: AttemptResult): Promise<void> {
  await sql.query(
    `WITH updated AS (UPDATE media_attempts SET status = $2, accel_path = $3, error = $4, steps = $5, finished_at = now() WHERE id = $1 RETURNING id) SELECT id FROM updated`,
    [id, result.status, result.accelPath, result.error, json(result.steps)],
  );
}

/** Attempts a killed worker left 'running': they ended when it died. */
export async function abandonRunningAttempts(sql: Sql, fileId: string, jobId: string): Promise<void> {
  await sql.query(
    `WITH updated AS (UPDATE media_attempts SET status = 'failed', error = 'the worker stopped during this attempt', finished_at = now()
       WHERE file_id = $1 AND job_id = $2 AND status = 'running' RETURNING id) SELECT id FROM updated`,
    [fileId, jobId],
  );
}

export async function attemptsOf(sql: Sql, fileId: string): Promise<MediaAttemptDto[]> {
  const rows: AttemptRow[] = await sql.query(
    `SELECT job_id, attempt, run_id, accel_path, status, error, steps, worker_id, trace_id, started_at, finished_at FROM media_attempts WHERE file_id = $1 ORDER BY id`,
    [fileId],
  );
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
