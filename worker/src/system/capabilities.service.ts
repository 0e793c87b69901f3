import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { hostname } from 'node:os';
import type { Config, HwaccelReport } from '@nebula/shared';
import { CONFIG } from '../config';
import { readFfmpegVersion } from '../media/ffmpeg-version';
import { findRenderNodes, planHwaccel } from '../media/hwaccel-detect';

/** What this worker can do, found once at start: ffmpeg and hardware acceleration. */
@Injectable()
export class CapabilitiesService implements OnModuleInit {
  readonly workerId = `${hostname()}:${process.pid}`;
  ffmpeg: { version: string } | { error: string } = { error: 'not probed yet' };
  hwaccel!: HwaccelReport;

  constructor(@Inject(CONFIG) private readonly config: Config) {}

  async onModuleInit(): Promise<void> {
    this.ffmpeg = await readFfmpegVersion(this.config.media.ffmpegPath);
    this.hwaccel = planHwaccel(this.config.media.hwaccel, await findRenderNodes(), this.config.media.hwDevice);
  }
}
