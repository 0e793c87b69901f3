import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { rm, writeFile } from 'node:fs/promises';
import type { Queue } from 'bullmq';
import type { DataSource } from 'typeorm';
import { SYSTEM_QUEUE } from '@nebula/contract';
import { type Config } from '@nebula/shared';
import { CONFIG } from '../config';

const INTERVAL_MS = 10_000;

/**
 * Touches a file every 10 s while Redis and Postgres answer. The container's healthcheck
 * (dist/healthcheck.js) reads its age; the worker has no HTTP port to ask.
 */
@Injectable()
export class HeartbeatService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('heartbeat');
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @InjectDataSource() private readonly db: DataSource,
    @InjectQueue(SYSTEM_QUEUE) private readonly queue: Queue,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), INTERVAL_MS);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    try {
      await withTimeout(Promise.all([this.db.query('SELECT 1'), this.queue.count()]), 5000);
      await writeFile(this.config.worker.heartbeatFile, new Date().toISOString());
    } catch (error) {
      this.logger.warn(`not healthy, heartbeat skipped: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await rm(this.config.worker.heartbeatFile, { force: true });
  }
}

/** BullMQ retries Redis commands forever while disconnected; a heartbeat must give up instead. */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis or Postgres did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
