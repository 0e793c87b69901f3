import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { MEDIA_QUEUE, SYSTEM_QUEUE } from '@nebula/contract';
import { type Config } from '@nebula/shared';
import { createMetricsRegistry, MetricsListener, storageErrorCounter } from '@nebula/shared/runtime';
import { CONFIG } from '../config/config.module';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
/** How long a scrape waits for the queue counts before it answers without fresh ones. */
const QUEUE_COUNT_TIMEOUT_MS = 1_000;

/**
 * The gateway's Prometheus metrics, served on their own listener (config.metrics), never on the
 * gateway's port: see serveMetrics. Names are a contract with ops/observability (dashboard, alerts).
 */
@Injectable()
export class GatewayMetrics implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('metrics');
  readonly registry: Registry = createMetricsRegistry('gateway');

  readonly httpRequests = new Counter({
    name: 'nebula_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'nebula_http_request_duration_seconds',
    help: 'Time from request to the end of the response, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly uploadBytes = new Counter({
    name: 'nebula_upload_bytes_total',
    help: 'Upload bytes written to object storage.',
    registers: [this.registry],
  });
  readonly uploadsActive = new Gauge({
    name: 'nebula_uploads_active',
    help: 'Upload requests (tus PATCH) streaming bytes right now.',
    registers: [this.registry],
  });
  readonly storageErrors = storageErrorCounter(this.registry);
  /** With the s3 driver's read cache (storage.module.ts): reads answered from a local copy or from S3. */
  readonly readCacheReads = new Counter({
    name: 'nebula_read_cache_reads_total',
    help: 'Object reads with the s3 driver, by where they were answered from: a local copy (copy) or S3 (store).',
    labelNames: ['answered'] as const,
    registers: [this.registry],
  });
  /** What the read cache holds now: set by storage.module.ts when there is one. */
  readCacheUsedBytes: () => number = () => 0;
  readonly readCacheBytes: Gauge = new Gauge({
    name: 'nebula_read_cache_bytes',
    help: 'Bytes of the local copies the s3 driver keeps of originals read often (NEBULA_READ_CACHE_SIZE).',
    registers: [this.registry],
    collect: (): void => this.readCacheBytes.set(this.readCacheUsedBytes()),
  });
  private readonly listener: MetricsListener;

  constructor(
    @Inject(CONFIG) config: Config,
    @InjectQueue(MEDIA_QUEUE) media: Queue,
    @InjectQueue(SYSTEM_QUEUE) system: Queue,
  ) {
    this.listener = new MetricsListener(this.registry, config.metrics);
    const logger = this.logger;
    new Gauge({
      name: 'nebula_queue_jobs',
      help: 'Jobs in each BullMQ queue, by state.',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        await Promise.all(
          [media, system].map(async (queue) => {
            let timer: NodeJS.Timeout | undefined;
            try {
              // While Redis is away, ioredis holds commands until it is back: a scrape must not wait for that.
              const timeout = new Promise<never>((_, reject) => {
                timer = setTimeout(() => reject(new Error(`Redis did not answer within ${QUEUE_COUNT_TIMEOUT_MS} ms`)), QUEUE_COUNT_TIMEOUT_MS);
              });
              const counts = await Promise.race([queue.getJobCounts(...QUEUE_STATES), timeout]);
              for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
            } catch (error) {
              // Redis down: the health endpoint says so; the gauge keeps its last values.
              logger.warn(`queue depth of ${queue.name}: ${error instanceof Error ? error.message : String(error)}`);
            } finally {
              clearTimeout(timer);
            }
          }),
        );
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.logger.log(`metrics on ${await this.listener.start()}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.listener.stop();
  }
}
