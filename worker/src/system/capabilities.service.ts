import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { hostname } from 'node:os';
import type { HwaccelReport } from '@nebula/contract';
import type { Config } from '@nebula/shared';
import { CONFIG } from '../config';
import type { EncoderKind } from '../media/ffmpeg/common';
import { testEncodeArgs } from '../media/ffmpeg/test-encode';
import { FfmpegRunner } from '../media/ffmpeg.runner';
import { readFfmpegVersion } from '../media/ffmpeg-version';
import { deviceToProve, findRenderNodes, planHwaccel } from '../media/hwaccel-detect';
import { readEncoderLimits, type EncoderLimits } from '../media/vainfo';

/**
 * What this worker can do, found once at start: ffmpeg, and which hardware encoder works. A render
 * node only counts once it has encoded a frame (a node can exist without a working driver).
 */
@Injectable()
export class CapabilitiesService implements OnModuleInit {
  private readonly logger = new Logger('capabilities');
  /** This node's name and process: what the node registry and the attempts journal call it. */
  readonly workerId: string;
  ffmpeg: { version: string } | { error: string } = { error: 'not probed yet' };
  // A ping can be answered while the probe still runs (BullMQ's processors start alongside onModuleInit).
  hwaccel: HwaccelReport = { requested: 'auto', devices: [], selected: 'software', detail: 'not probed yet' };
  /** What the proven device encodes, read with vainfo; null on a software node. */
  encoderLimits: EncoderLimits | null = null;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly runner: FfmpegRunner,
  ) {
    this.workerId = `${config.worker.nodeName ?? hostname()}:${process.pid}`;
  }

  async onModuleInit(): Promise<void> {
    this.ffmpeg = await readFfmpegVersion(this.config.media.ffmpegPath);
    const devices = await findRenderNodes();
    const plan = planHwaccel(this.config.media.hwaccel, devices, this.config.media.hwDevice);
    this.hwaccel = 'version' in this.ffmpeg ? await this.proveDevice(plan) : plan;
    this.logger.log(`hardware acceleration: ${this.hwaccel.selected} (${this.hwaccel.detail})`);
    const device = deviceToProve(plan, this.config.media.hwDevice);
    if (this.hwaccel.selected !== 'software' && device) {
      const limits = await readEncoderLimits(device);
      const line = `encoder limits: ${limits.codecs.join('/')} up to ${limits.maxWidth}x${limits.maxHeight} (${limits.detail})`;
      if (limits.limitsFrom === 'vainfo') this.logger.log(line);
      else this.logger.warn(line);
      this.encoderLimits = limits;
    }
  }

  private async proveDevice(plan: HwaccelReport): Promise<HwaccelReport> {
    const device = deviceToProve(plan, this.config.media.hwDevice);
    if (!device) return plan;
    const kinds: EncoderKind[] = plan.requested === 'auto' ? ['vaapi', 'qsv'] : [plan.requested];
    const failures: string[] = [];
    for (const kind of kinds) {
      try {
        await this.runner.ffmpeg(testEncodeArgs(kind, device));
        return { ...plan, selected: kind, detail: `${kind} on ${device} passed a test encode` };
      } catch (error) {
        failures.push(`${kind}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return { ...plan, selected: 'software', detail: `${device} failed the test encode (${failures.join('; ')}): encoding in software` };
  }
}
