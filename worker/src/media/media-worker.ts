import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DelayedError, Worker, type Job } from 'bullmq';
import { MEDIA_QUEUE, TRANSCODE_JOB, type TranscodeJob, MEDIA_HW_QUEUE, type NodeAdvert } from '@nebula/contract';
import { redisOptionsFromUrl, type Config } from '@nebula/shared';
import { bootTraceId, runWithTrace } from '@nebula/shared/runtime';
import { CONFIG } from '../config';
import { NodeRegistry } from '../system/node-registry.service';
import { describeOutage, isOutage, outageWaitMs } from './job-failures';
import { TranscodeService } from './transcode.service';

/**
 * The BullMQ workers of this node, built by hand rather than with @Processor so their concurrency
 * and lock come from the validated config. A worker killed mid-job stops renewing the lock; after
 * `lockSeconds` the stalled-job check hands the job to the next worker (on any node), which starts
 * it again (jobs are idempotent: each run writes under its own folder).
 *
 * Every node consumes `media`. `media-hw` holds the heavy jobs a software node moved aside (see
 * placeMediaJob): hardware nodes consume it always; software nodes only while no hardware node is
 * up (their `media-hw` worker is paused otherwise), so a heavy job never waits for a GPU that left.
 */
@Injectable()
export class MediaWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('media');
  private readonly workers: Worker<TranscodeJob>[] = [];
  private hwWorker?: Worker<TranscodeJob>;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly transcode: TranscodeService,
    private readonly registry: NodeRegistry,
  ) {}

  onApplicationBootstrap(): void {
    this.workers.push(this.consume(MEDIA_QUEUE, true));
    if (this.registry.capabilities.hardware) {
      this.workers.push(this.consume(MEDIA_HW_QUEUE, true));
      return;
    }
    this.hwWorker = this.consume(MEDIA_HW_QUEUE, false);
    this.workers.push(this.hwWorker);
    // Decided at each heartbeat (the first within NODE_HEARTBEAT_MS): until then this node has not
    // seen whether a hardware node is up, so it leaves `media-hw` alone.
    this.registry.onNodes((nodes) => this.followHardwareNodes(nodes.filter((n) => n.id !== this.registry.id)));
  }

  /** Waits for running jobs to finish; main.ts bounds the wait with the grace period. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }

  private followHardwareNodes(others: NodeAdvert[]): void {
    const worker = this.hwWorker!;
    const hardwareUp = others.some((n) => n.capabilities.hardware);
    if (!hardwareUp && (!worker.isRunning() || worker.isPaused())) {
      this.logger.log(`no hardware node is up: this node takes heavy jobs (${MEDIA_HW_QUEUE}) too`);
      if (worker.isRunning()) void worker.resume();
      else void worker.run().catch((e: Error) => this.logger.error(`${MEDIA_HW_QUEUE}: ${e.message}`));
    } else if (hardwareUp && worker.isRunning() && !worker.isPaused()) {
      this.logger.log(`a hardware node is up: heavy jobs (${MEDIA_HW_QUEUE}) are left to it`);
      // true: do not wait for a heavy job this node already runs; it finishes here.
      void worker.pause(true);
    }
  }

  private consume(queue: string, autorun: boolean): Worker<TranscodeJob> {
    const lock = this.config.worker.lockSeconds * 1000;
    const worker: Worker<TranscodeJob> = new Worker<TranscodeJob>(
      queue,
      // Three parameters: BullMQ then hands the job an AbortSignal, fired by cancelJob below.
      async (job: Job<TranscodeJob>, token?: string, signal?: AbortSignal) => {
        if (job.name !== TRANSCODE_JOB) throw new Error(`unknown media job "${job.name}"`);
        // Every log line of the job, and of the ffmpeg it runs, carries the trace of the request or
        // event that queued it.
        const trace = { traceId: job.data.traceId ?? bootTraceId, jobId: job.id, fileId: job.data.fileId };
        this.registry.jobStarted({ jobId: job.id!, fileId: job.data.fileId, queue });
        try {
          return await runWithTrace(trace, () => this.transcode.run(job, { token: token!, signal: signal ?? new AbortController().signal, lockMs: lock }));
        } catch (error) {
          if (!isOutage(error)) throw error;
          // Postgres restarting or storage down would use up the job's attempts in seconds (a whole
          // queue of videos failed so in the chaos test): the job waits instead, with its attempts
          // untouched, and runs again. Should Redis be what is down, this fails too, and the
          // stalled-job check hands the job on as after a crash.
          const wait = outageWaitMs(job);
          this.logger.warn(`job ${job.id} (file ${job.data.fileId}): ${describeOutage(error)}; it runs again in ${wait / 1000} s, and this does not count as an attempt`);
          await job.moveToDelayed(Date.now() + wait, token);
          throw new DelayedError();
        } finally {
          this.registry.jobEnded(job.id!);
        }
      },
      {
        connection: redisOptionsFromUrl(this.config.redisUrl),
        concurrency: this.config.worker.concurrency,
        autorun,
        lockDuration: lock,
        stalledInterval: Math.max(1000, lock / 2),
        maxStalledCount: 2,
      },
    );
    worker.on('error', (error) => this.logger.error(`queue ${queue}: ${error.message}`));
    // The lock could not be renewed: another node may run the job by now (this one was cut off, or
    // paused). Stop it here; the run discards what it made (TranscodeService, LostJobError).
    worker.on('lockRenewalFailed', (jobIds) => {
      for (const id of jobIds) {
        this.logger.warn(`lost the lock of job ${id}: another node takes it over; stopping it here`);
        worker.cancelJob(id, 'lost its lock');
      }
    });
    return worker;
  }
}
