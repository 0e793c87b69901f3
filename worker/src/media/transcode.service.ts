import { Inject, Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReadStream } from 'node:fs';
import { storageKeys, type AccelPath, type Config, type TranscodeJob, type TranscodeProgress } from '@nebula/shared';
import type { ObjectStorage } from '@nebula/shared/storage';
import { CONFIG } from '../config';
import { CapabilitiesService } from '../system/capabilities.service';
import { fallbackOrder, FallbackExhaustedError, hlsCommand, walkFallback } from './ffmpeg/fallback';
import { posterArgs, posterRung, posterSeconds } from './ffmpeg/poster';
import { FfmpegRunner } from './ffmpeg.runner';
import { completeMasterPlaylist, finalizeVariantPlaylist, hlsLayout, segmentFileAt, targetDurationSeconds, withTargetDuration } from './hls-playlists';
import { HlsPublisher } from './hls-publisher';
import { planLadder, type Ladder } from './ladder';
import { MediaRepository, type AttemptStep } from './media.repository';
import { OriginalFiles } from './original-file';
import { explainProbeFailure, MediaProbeError, parseProbe, probeArgs, type MediaProbe } from './probe';
import { WorkerMetrics } from '../system/worker-metrics';
import { ProgressReader } from './progress';

export const OBJECT_STORAGE = Symbol('OBJECT_STORAGE');

/** How often the output folder is checked for new segments while ffmpeg writes. */
const PUBLISH_INTERVAL_MS = 500;
/** Progress goes to the job on every report, and to the event log at most this often. */
const PROGRESS_EVENT_INTERVAL_MS = 2000;

/**
 * One file's media pipeline: probe, plan the ladder, encode it in one ffmpeg process (walking the
 * hardware fallback order), publish segments while they are written, cut a poster, and mark the
 * file ready only once the whole ladder is in storage. Each run writes under a new run folder, so
 * a re-run replaces the previous output without ever serving a mix of the two.
 */
@Injectable()
export class TranscodeService {
  private readonly logger = new Logger('transcode');

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly media: MediaRepository,
    private readonly originals: OriginalFiles,
    private readonly ffmpeg: FfmpegRunner,
    private readonly capabilities: CapabilitiesService,
    private readonly metrics: WorkerMetrics,
  ) {}

  async run(job: Job<TranscodeJob>): Promise<{ accelPath: AccelPath | null; runId: string }> {
    const { fileId, traceId } = job.data;
    // The trace id is on every line already (MediaWorker runs the job inside its trace).
    const log = (line: string) => this.logger.log(`${job.data.fileName}: ${line}`);
    const file = await this.media.file(fileId);
    if (!file || file.status !== 'ready') {
      log('the file is gone; nothing to do');
      return { accelPath: null, runId: '' };
    }
    const attempt = job.attemptsMade + 1;
    const runId = `r${Date.now().toString(36)}`;
    await this.media.abandonRunningAttempts(fileId, job.id!);
    const attemptId = await this.media.startAttempt({ fileId, jobId: job.id!, attempt, runId, traceId, workerId: this.capabilities.workerId });
    await this.media.setState(fileId, 'processing', null, { type: 'media.started', data: { attempt, runId, workerId: this.capabilities.workerId }, traceId });
    log(`attempt ${attempt} started (run ${runId})`);
    const started = Date.now();

    const original = await this.originals.open(job.data.storageKey);
    const work = await mkdtemp(join(tmpdir(), 'nebula-hls-'));
    let steps: AttemptStep[] = [];
    try {
      const probe = await this.probe(original.path, job.data.fileName);
      await this.media.saveProbe(fileId, probe);
      if (!probe.video) {
        // Audio is streamed from the original by range; there is no picture to make a ladder of.
        await this.media.setState(fileId, 'none', null, { type: 'media.ready', data: { runId, audioOnly: true, rungs: [] }, traceId });
        await this.media.finishAttempt(attemptId, { status: 'succeeded', accelPath: null, error: null, steps });
        log('audio only: no ladder needed');
        this.metrics.transcodeJobs.inc({ outcome: 'ready', accel: 'none' });
        return { accelPath: null, runId };
      }
      const ladder = planLadder(probe);
      const order = fallbackOrder(this.capabilities.hwaccel.selected, probe);
      const outcome = await walkFallback(order, (path) => this.encode(job, path, original.path, join(work, path), probe, ladder, runId));
      steps = outcome.steps;
      await this.poster(join(work, outcome.path), probe, ladder, fileId, work);
      await this.removeOtherRuns(fileId, `${runId}-${outcome.path}`);
      await this.media.setState(fileId, 'ready', null, {
        type: 'media.ready',
        data: { runId, accelPath: outcome.path, rungs: ladder.rungs.map((r) => `${r.width}x${r.height}`), hls: `/hls/${fileId}/master.m3u8` },
        traceId,
      });
      await this.media.finishAttempt(attemptId, { status: 'succeeded', accelPath: outcome.path, error: null, steps });
      log(`ready (${outcome.path}, ${ladder.rungs.map((r) => r.name).join(' ')})`);
      this.metrics.transcodeJobs.inc({ outcome: 'ready', accel: outcome.path });
      this.metrics.transcodeDuration.observe({ accel: outcome.path }, (Date.now() - started) / 1000);
      return { accelPath: outcome.path, runId };
    } catch (error) {
      if (error instanceof FallbackExhaustedError) steps = error.steps;
      const reason = error instanceof Error ? error.message : String(error);
      const permanent = error instanceof MediaProbeError;
      const last = permanent || attempt >= (job.opts.attempts ?? 1);
      // Counted first: when the database is what failed, the writes below fail too.
      this.metrics.transcodeJobs.inc({ outcome: last ? 'failed' : 'retried', accel: steps.at(-1)?.path ?? 'none' });
      await this.media.finishAttempt(attemptId, { status: 'failed', accelPath: steps.at(-1)?.path ?? null, error: reason, steps });
      if (last) {
        await this.media.setState(fileId, 'failed', reason, { type: 'media.failed', data: { attempt, reason }, traceId });
      } else {
        await this.media.setState(fileId, 'queued', reason, { type: 'media.queued', data: { retryOf: attempt, reason }, traceId });
      }
      log(`attempt ${attempt} failed: ${reason}`);
      // Bad media will not get better with retries; the original stays downloadable.
      throw permanent ? new UnrecoverableError(reason) : error;
    } finally {
      await original.release();
      await rm(work, { recursive: true, force: true });
    }
  }

  private async probe(path: string, fileName: string): Promise<MediaProbe> {
    const size = (await stat(path)).size;
    let json: string;
    try {
      json = await this.ffmpeg.ffprobe(probeArgs(path));
    } catch (error) {
      throw new MediaProbeError(explainProbeFailure(error instanceof Error ? error.message : String(error), fileName, size), fileName);
    }
    return parseProbe(JSON.parse(json), fileName);
  }

  /** One fallback step: a single ffmpeg process for the whole ladder, published as it goes. */
  private async encode(job: Job<TranscodeJob>, path: AccelPath, input: string, outputDir: string, probe: MediaProbe, ladder: Ladder, runId: string): Promise<AccelPath> {
    const { fileId, traceId } = job.data;
    const stepRun = `${runId}-${path}`;
    await rm(outputDir, { recursive: true, force: true });
    const command = hlsCommand(path, { input, outputDir, probe, ladder }, { device: this.config.media.hwDevice });
    const publisher = new HlsPublisher(
      this.storage,
      outputDir,
      storageKeys.rendition(fileId, `${stepRun}/`),
      storageKeys.rendition(fileId, hlsLayout.master),
      stepRun,
      { master: (text) => completeMasterPlaylist(text, ladder), variant: (text) => withTargetDuration(text, targetDurationSeconds(ladder)) },
    );
    const reader = new ProgressReader(probe.durationSeconds);
    let lastEvent = 0;
    let playable = false;
    const report = async () => {
      if (!playable && publisher.isMasterPublished) {
        playable = true;
        await this.media.appendEvent('media.playable', fileId, { hls: `/hls/${fileId}/master.m3u8`, accelPath: path }, traceId);
      }
    };
    const timer = setInterval(() => void publisher.sync().then(report).catch((e: Error) => this.logger.warn(`publishing ${stepRun}: ${e.message}`)), PUBLISH_INTERVAL_MS);
    try {
      await this.ffmpeg.ffmpeg(command.args, {
        onStdout: (chunk) => {
          for (const p of reader.push(chunk)) {
            const progress: TranscodeProgress = { fileId, percent: p.percent, fps: p.fps, speed: p.speed, etaSeconds: p.etaSeconds };
            // Progress is advisory: a Redis blip must not end the encode.
            job.updateProgress({ ...progress, accelPath: path }).catch(() => undefined);
            if (typeof p.speed === 'number') this.metrics.encodeSpeed.set(p.speed);
            if (Date.now() - lastEvent >= PROGRESS_EVENT_INTERVAL_MS || p.done) {
              lastEvent = Date.now();
              void this.media.appendEvent('media.progress', fileId, { ...progress, accelPath: path }, traceId).catch(() => undefined);
            }
          }
        },
      });
    } finally {
      clearInterval(timer);
    }
    // Done: every variant playlist is ended (#EXT-X-ENDLIST), then the last segments and the master go up.
    for (const rung of ladder.rungs) {
      const playlist = join(outputDir, hlsLayout.variantPlaylist(rung.name));
      await writeFile(playlist, finalizeVariantPlaylist(await readFile(playlist, 'utf8')));
    }
    await publisher.sync();
    if (!publisher.isMasterPublished) throw new Error(`the ${path} encode finished but its master playlist was never complete`);
    await report();
    return path;
  }

  /** A JPEG from a few seconds in, cut from the finished ladder (see posterRung), not from the original. */
  private async poster(outputDir: string, probe: MediaProbe, ladder: Ladder, fileId: string, work: string): Promise<void> {
    const out = join(work, 'poster.jpg');
    try {
      const rung = posterRung(ladder, probe);
      const playlist = join(outputDir, hlsLayout.variantPlaylist(rung.name));
      const source = segmentFileAt(outputDir, rung.name, await readFile(playlist, 'utf8'), posterSeconds(probe.durationSeconds));
      if (!source) throw new Error(`${hlsLayout.variantPlaylist(rung.name)} lists no fMP4 segment`);
      await this.ffmpeg.ffmpeg(posterArgs(source, out, probe));
      await this.storage.put(storageKeys.poster(fileId), createReadStream(out), { contentType: 'image/jpeg' });
    } catch (error) {
      // A missing poster is cosmetic: the ladder is what matters.
      this.logger.warn(`no poster for ${fileId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Earlier runs (and failed steps of this one) under hls/<id>/ go, once the new master points at this run. */
  private async removeOtherRuns(fileId: string, keep: string): Promise<void> {
    const prefix = storageKeys.renditionPrefix(fileId);
    const stale = new Set<string>();
    for await (const object of this.storage.list(prefix)) {
      const run = object.key.slice(prefix.length).split('/')[0]!;
      if (run !== keep && run !== hlsLayout.master) stale.add(run);
    }
    for (const run of stale) await this.storage.deletePrefix(`${prefix}${run}/`);
  }
}
