import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { isHeavyJob, MEDIA_HW_QUEUE, placeMediaJob, type NodeAdvert, type NodeCapabilities, MEDIA_QUEUE, type TranscodeJob } from '@nebula/contract';
import type { MediaProbe } from './probe';

/**
 * Placement by capability, with BullMQ's own queues: a heavy job (4K, 10-bit HEVC) that a software
 * node took from `media` moves to `media-hw` while a hardware node is up (placeMediaJob decides).
 */
@Injectable()
export class MediaPlacement {
  constructor(@InjectQueue(MEDIA_HW_QUEUE) private readonly hardwareQueue: Queue<TranscodeJob>) {}

  /** The name of the node the job is left to, once moved to `media-hw`; null to run it here. */
  async place(job: Job<TranscodeJob>, probe: MediaProbe, nodes: { capabilities: NodeCapabilities; othersNow(): Promise<NodeAdvert[]> }): Promise<string | null> {
    if (job.queueName !== MEDIA_QUEUE || !probe.video || nodes.capabilities.hardware) return null;
    const video = { width: probe.video.width, height: probe.video.height, codec: probe.video.codec, bitDepth: probe.video.bitDepth };
    if (!isHeavyJob(video)) return null;
    // Read afresh: the heartbeat's list may be seconds old, and a wrong move costs a whole encode.
    const others = await nodes.othersNow().catch(() => []);
    if (placeMediaJob(video, nodes.capabilities, others) !== 'hardware') return null;
    const { attempts, backoff, removeOnComplete, removeOnFail } = job.opts;
    // The same run's id with a suffix: a second move of the same job is de-duplicated by BullMQ.
    await this.hardwareQueue.add(job.name, job.data, { jobId: `${job.id}-hw`, attempts, backoff, removeOnComplete, removeOnFail });
    const hardware = others.filter((n) => n.capabilities.hardware).map((n) => n.name);
    return `a hardware node (${MEDIA_HW_QUEUE}: ${hardware.join(', ')})`;
  }
}
