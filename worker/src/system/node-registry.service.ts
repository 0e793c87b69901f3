import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { availableParallelism, hostname } from 'node:os';
import { redisOptionsFromUrl, type Config } from '@nebula/shared';
import { NEBULA_VERSION, NODE_HEARTBEAT_MS, NODE_TTL_MS, nodeKeys, readNodes, type HardwareEncoder, type NodeAdvert, type NodeCapabilities, type HwaccelReport } from '@nebula/contract';
import { CONFIG } from '../config';
import { ASSUMED_LIMITS, type EncoderLimits } from '../media/vainfo';
import { CapabilitiesService } from './capabilities.service';

/**
 * What a proven hardware encoder is advertised as: the codecs and the largest H.264 picture its
 * device reports (read with vainfo at start), or the assumed H.264 up to 4096x4096 when they could
 * not be read. The ladder's codec is H.264, so that is what placement needs to know.
 */
export function advertisedHardware(hwaccel: HwaccelReport, limits: EncoderLimits | null, simulated?: 'vaapi' | 'qsv'): HardwareEncoder | null {
  if (simulated) return { kind: simulated, ...ASSUMED_LIMITS, codecs: [...ASSUMED_LIMITS.codecs], simulated: true };
  if (hwaccel.selected === 'software') return null;
  const { codecs, maxWidth, maxHeight, limitsFrom } = limits ?? ASSUMED_LIMITS;
  return { kind: hwaccel.selected, codecs: [...codecs], maxWidth, maxHeight, limitsFrom };
}

/**
 * This worker's entry in the node registry: a JSON advert under nebula:node:<id> in Redis, renewed
 * every NODE_HEARTBEAT_MS with a TTL, so a node that vanishes (power cut, network cut) drops out
 * of `nebula nodes` and of placement by itself. Also keeps the latest list of the other nodes.
 */
@Injectable()
export class NodeRegistry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('nodes');
  private readonly redis: Redis;
  private readonly jobs = new Map<string, { jobId: string; fileId: string; queue: string }>();
  private readonly startedAt = new Date().toISOString();
  private readonly listeners: ((nodes: NodeAdvert[]) => void)[] = [];
  private timer?: NodeJS.Timeout;
  private nodes: NodeAdvert[] = [];
  private found?: NodeCapabilities;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly self: CapabilitiesService,
  ) {
    // A heartbeat must fail fast while Redis is away (the TTL then does its work), not queue up.
    this.redis = new Redis({ ...redisOptionsFromUrl(config.redisUrl), maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
    this.redis.on('error', () => undefined);
  }

  get id(): string {
    return this.self.workerId;
  }

  /** Known once CapabilitiesService has probed (onModuleInit, before any bootstrap hook). */
  get capabilities(): NodeCapabilities {
    this.found ??= { software: true, hardware: advertisedHardware(this.self.hwaccel, this.self.encoderLimits, this.config.worker.advertiseHwaccel), cores: availableParallelism() };
    return this.found;
  }

  get name(): string {
    return this.config.worker.nodeName ?? hostname();
  }

  /** The other nodes seen at the last heartbeat (this one excluded). */
  others(): NodeAdvert[] {
    return this.nodes.filter((n) => n.id !== this.id);
  }

  /** The other nodes as the registry has them now (not as of the last heartbeat), for decisions that matter. */
  async othersNow(): Promise<NodeAdvert[]> {
    this.nodes = await readNodes(this.redis);
    return this.others();
  }

  /** Called after every heartbeat with every node up (this one included). */
  onNodes(listener: (nodes: NodeAdvert[]) => void): void {
    this.listeners.push(listener);
  }

  jobStarted(job: { jobId: string; fileId: string; queue: string }): void {
    this.jobs.set(job.jobId, job);
    void this.beat();
  }

  jobEnded(jobId: string): void {
    this.jobs.delete(jobId);
    void this.beat();
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.capabilities.hardware?.simulated) this.logger.warn(`NEBULA_TEST_ADVERTISE_HWACCEL: advertising ${this.capabilities.hardware.kind} while encoding in software (a test double)`);
    await this.redis.connect().catch(() => undefined);
    await this.beat();
    this.timer = setInterval(() => void this.beat(), NODE_HEARTBEAT_MS);
    this.timer.unref();
    this.logger.log(`node ${this.name} (${this.id}) joined: ${describeCapabilities(this.capabilities)}`);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.del(nodeKeys.node(this.id)).catch(() => undefined);
    this.redis.disconnect();
  }

  private async beat(): Promise<void> {
    const advert: NodeAdvert = {
      id: this.id,
      name: this.name,
      version: NEBULA_VERSION,
      capabilities: this.capabilities,
      jobs: [...this.jobs.values()],
      startedAt: this.startedAt,
      lastHeartbeat: new Date().toISOString(),
    };
    try {
      await this.redis.set(nodeKeys.node(this.id), JSON.stringify(advert), 'PX', NODE_TTL_MS);
      this.nodes = await readNodes(this.redis);
      for (const listener of this.listeners) listener(this.nodes);
    } catch (error) {
      this.logger.warn(`heartbeat not sent: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

export function describeCapabilities(c: NodeCapabilities): string {
  const hw = c.hardware
    ? `${c.hardware.kind}${c.hardware.simulated ? ' (simulated)' : ''} ${c.hardware.codecs.join('/')} up to ${c.hardware.maxWidth}x${c.hardware.maxHeight}${c.hardware.limitsFrom === 'assumed' ? ' (assumed)' : ''}`
    : 'no hardware encoder';
  return `software, ${hw}, ${c.cores} cores`;
}
