import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { HealthReport } from '@nebula/contract';
import type { ObjectStorage } from '@nebula/shared/storage';
import { RedisClient } from '../queue/redis.client';
import { WorkerPingClient } from '../queue/worker-ping.client';
import { OBJECT_STORAGE } from '../storage/storage.module';
import { buildHealthReport, type CheckOutcome } from './health-report';
import { NodeDirectory } from './node-directory';

/** How long one dependency may take to answer before it counts as down. */
const PROBE_TIMEOUT_MS = 3000;

@Injectable()
export class HealthService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly redis: RedisClient,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly workerPing: WorkerPingClient,
    private readonly nodeDirectory: NodeDirectory,
  ) {}

  async report(): Promise<HealthReport> {
    const [postgres, redis, storage, worker, nodes] = await Promise.all([
      outcome(async () => {
        await this.db.query('SELECT 1');
      }),
      outcome(() => this.redis.ping()),
      outcome(() => this.storage.check()),
      outcome(() => this.workerPing.ping(PROBE_TIMEOUT_MS), (error) =>
        /timed out|timeout/i.test(error) ? `no worker answered a ping within ${PROBE_TIMEOUT_MS / 1000} s: is the worker running?` : error,
      ),
      outcome(() => this.nodeDirectory.list()),
    ]);
    return buildHealthReport({ postgres, redis, storage: { ...storage, driver: this.storage.driver === 's3' ? 's3' : 'fs', endpoint: this.storage.endpoint }, worker, nodes: nodes.ok ? nodes.value : [] });
  }
}

async function outcome<T>(probe: () => Promise<T>, explain: (error: string) => string = (e) => e): Promise<CheckOutcome<T>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS + 500);
    });
    return { ok: true, value: await Promise.race([probe(), timeout]) };
  } catch (error) {
    return { ok: false, error: explain(error instanceof Error ? error.message : String(error)) };
  } finally {
    clearTimeout(timer);
  }
}
