import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Config } from '@nebula/shared';
import { createMetricsRegistry, MetricsListener, storageErrorCounter } from '@nebula/shared/runtime';
import { CONFIG } from '../config';

/**
 * The worker's Prometheus metrics, on its own listener (config.metrics; never published). Names
 * are a contract with ops/observability's dashboard.
 */
@Injectable()
export class WorkerMetrics implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('metrics');
  readonly registry: Registry = createMetricsRegistry('worker');

  readonly transcodeJobs = new Counter({
    name: 'nebula_transcode_jobs_total',
    help: 'Media job attempts by outcome (ready, failed for good, retried) and the acceleration path that produced or last tried them.',
    labelNames: ['outcome', 'accel'] as const,
    registers: [this.registry],
  });
  readonly transcodeDuration = new Histogram({
    name: 'nebula_transcode_duration_seconds',
    help: 'Wall time of successful media jobs, from start to a complete ladder in storage.',
    labelNames: ['accel'] as const,
    buckets: [5, 10, 30, 60, 120, 300, 600, 1200, 3600, 7200],
    registers: [this.registry],
  });
  readonly encodeSpeed = new Gauge({
    name: 'nebula_encode_speed',
    help: "ffmpeg's speed in the last progress report, as a multiple of real time (1 = as fast as playback); kept after the encode ends, until the next one reports.",
    registers: [this.registry],
  });
  readonly storageErrors = storageErrorCounter(this.registry);
  private readonly listener: MetricsListener;

  constructor(@Inject(CONFIG) config: Config) {
    this.listener = new MetricsListener(this.registry, config.metrics);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.logger.log(`metrics on ${await this.listener.start()}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.listener.stop();
  }
}
