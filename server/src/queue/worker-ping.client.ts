import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue, QueueEvents } from 'bullmq';
import { PING_JOB, SYSTEM_QUEUE, type PingJob, type WorkerReport } from '@nebula/contract';

/**
 * Sends a ping job through the real queue and waits for a worker to answer: this proves the whole
 * path (gateway → Redis → worker → Redis → gateway), and the answer carries what the worker found
 * (ffmpeg, hardware acceleration).
 */
@Injectable()
export class WorkerPingClient implements OnApplicationShutdown {
  private events?: QueueEvents;

  constructor(@InjectQueue(SYSTEM_QUEUE) private readonly queue: Queue<PingJob, WorkerReport>) {}

  async ping(timeoutMs: number): Promise<{ report: WorkerReport; latencyMs: number }> {
    if (!this.events) {
      this.events = new QueueEvents(SYSTEM_QUEUE, { connection: this.queue.opts.connection });
      await this.events.waitUntilReady();
    }
    const started = Date.now();
    const job = await this.queue.add(
      PING_JOB,
      { requestedAt: new Date(started).toISOString() },
      { removeOnComplete: { age: 60 }, removeOnFail: { age: 60 } },
    );
    try {
      const report = await job.waitUntilFinished(this.events, timeoutMs);
      return { report, latencyMs: Date.now() - started };
    } catch (error) {
      // Nobody took it: do not leave pings piling up for a worker that may start much later.
      await job.remove().catch(() => undefined);
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.events?.close();
  }
}
