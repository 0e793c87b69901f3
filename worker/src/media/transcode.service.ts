import { Inject, Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Readable } from 'node:stream';
import { hlsMaster, type AccelPath, type TranscodeJob, type TranscodeProgress, MEDIA_HW_QUEUE } from '@nebula/contract';
import { storageKeys, type Config } from '@nebula/shared';
import { ObjectNotFoundError, putFile, type ObjectStorage } from '@nebula/shared/storage';
import { CONFIG } from '../config';
import { CapabilitiesService } from '../system/capabilities.service';
import { NodeRegistry } from '../system/node-registry.service';
import { MediaPlacement } from './media-placement';
import { fallbackOrder, FallbackExhaustedError, hlsCommand, walkFallback, type FallbackResult } from './ffmpeg/fallback';
import { posterArgs, posterRung, posterSeconds } from './ffmpeg/poster';
import { planStoryboard, storyboardArgs, storyboardRung, storyboardSheet, storyboardVtt } from './ffmpeg/storyboard';
import { FfmpegRunner } from './ffmpeg.runner';
import { describeOutage, isOutage, LostJobError, outlastOutage } from './job-failures';
import { completeMasterPlaylist, finalizeVariantPlaylist, hlsLayout, segmentFileAt, targetDurationSeconds, withTargetDuration } from './hls-playlists';
import { HlsPublisher } from './hls-publisher';
import { planLadder, type Ladder } from './ladder';
import { MediaRepository, type AttemptStep, type FileRow } from './media.repository';
import { OriginalFiles, type LocalOriginal } from './original-file';
import { explainProbeFailure, MediaProbeError, parseProbe, probeArgs, type MediaProbe } from './probe';
import { copyRefusal, keyframeScanArgs, keyframeScanTimeoutMs, planTopRungCopy, readKeyframeScan, withCopiedTopRung, type TopRungCopy } from './top-rung-copy';
import { workDirPrefix } from './work-folders';
import { WorkerMetrics } from '../system/worker-metrics';
import { ProgressReader } from './progress';

export const OBJECT_STORAGE = Symbol('OBJECT_STORAGE');

/**
 * How often the output folder is checked for new segments while ffmpeg writes: often until the
 * master is up (each tick saved is time to first playable), then at a segment's pace.
 */
const FIRST_PUBLISH_INTERVAL_MS = 100;
const PUBLISH_INTERVAL_MS = 500;
/** Progress goes to the job on every report, and to the event log at most this often. */
const PROGRESS_EVENT_INTERVAL_MS = 2000;
/** How long the end of an encode waits for its progress events to be stored. */
const PROGRESS_DRAIN_MS = 3000;
/** The step name of a run whose top rung is copied: `software-copy` is the folder hls/<id>/<run>-software-copy/. */
const COPY_SUFFIX = '-copy';
/** How often a running job asks whether its file still exists (a delete stops the job). */
const DELETION_CHECK_INTERVAL_MS = 1000;

/** The file was deleted while its job ran: the job stops and removes what it published. */
export class FileDeletedError extends Error {
  constructor(fileName: string) {
    super(`"${fileName}" was deleted during its transcode`);
    this.name = 'FileDeletedError';
  }
}

/** What the queue gave this run: the lock's token, its cancellation, and how long a renewal lasts. */
export interface JobLease {
  token: string;
  signal: AbortSignal;
  lockMs: number;
}

/** The original's bytes are not in storage: no retry brings them back. */
export class OriginalMissingError extends Error {
  override readonly name = 'OriginalMissingError';
}

/**
 * Asks the database, every second while a job runs, whether its file still exists; aborts `signal`
 * (which kills ffmpeg) when it is gone. A failed check is not a deletion: Postgres may be restarting.
 */
export class DeletionWatch {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private checking = false;

  constructor(
    private readonly exists: () => Promise<boolean>,
    private readonly fileName: string,
  ) {
    this.timer = setInterval(() => void this.poll(), DELETION_CHECK_INTERVAL_MS);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Throws FileDeletedError when the file is gone now (or was seen gone), or why the run was stopped. */
  async check(): Promise<void> {
    if (!this.signal.aborted && !(await this.exists().catch(() => true))) this.controller.abort(new FileDeletedError(this.fileName));
    if (this.signal.aborted) throw this.signal.reason instanceof LostJobError ? this.signal.reason : new FileDeletedError(this.fileName);
  }

  /** Stops the run for another reason than a delete (the job was lost to another node). */
  abort(reason: Error): void {
    if (!this.signal.aborted) this.controller.abort(reason);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    if (this.checking || this.signal.aborted) return;
    this.checking = true;
    await this.check().catch(() => undefined);
    this.checking = false;
  }
}

/** A storage failure for a message users see: what went wrong, without internal addresses. */
function storageFailure(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const text = error instanceof Error ? error.message : String(error);
  const cleaned = text.replace(/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b|\[[0-9a-f:.]+\](?::\d+)?|https?:\/\/\S+/gi, '<storage>');
  return e.code && !cleaned.includes(e.code) ? `${e.code}: ${cleaned}` : cleaned;
}

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
    private readonly registry: NodeRegistry,
    private readonly placement: MediaPlacement,
  ) {}

  async run(job: Job<TranscodeJob>, lease: JobLease): Promise<{ accelPath: AccelPath | null; runId: string; movedTo?: string }> {
    const { fileId, traceId } = job.data;
    // The trace id is on every line already (MediaWorker runs the job inside its trace).
    const file = await this.media.file(fileId);
    const log = (line: string) => this.logger.log(`${file?.name ?? `file ${fileId}`}: ${line}`);
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

    const watch = new DeletionWatch(() => this.media.exists(fileId), file.name);
    // Losing the job stops ffmpeg as a delete does; the catch below tells the two apart.
    const onLost = () => watch.abort(new LostJobError(`${file.name}: this node lost the job's lock; another node runs it`));
    lease.signal.addEventListener('abort', onLost, { once: true });
    // A lost job also stops the watch: the fallback walk must not try the next step with it.
    const fence = () =>
      this.fence(job, file.name, lease, attemptId).catch((error: unknown) => {
        if (error instanceof LostJobError || error instanceof FileDeletedError) watch.abort(error);
        throw error;
      });
    let original: LocalOriginal | undefined;
    let work: string | undefined;
    let steps: AttemptStep[] = [];
    // The keyframe scan (topRungCopy) runs beside the probe rather than after it: both are mostly
    // ffprobe starting and reading, and one after the other they added about 0.3 s to the time to
    // first playable (ops/bench/transcode.ts). Stopped as soon as it is not needed.
    const scanning = new AbortController();
    try {
      original = await this.openOriginal(file);
      work = await mkdtemp(join(tmpdir(), workDirPrefix('hls')));
      const keyframes = this.keyframeScan(original.path, scanning.signal);
      const probe = await this.probe(original.path, file.name);
      await watch.check();
      await this.media.saveProbe(fileId, probe);
      const movedTo = await this.placement.place(job, probe, this.registry);
      if (movedTo) {
        await this.media.finishAttempt(attemptId, { status: 'failed', accelPath: null, error: `handed to ${movedTo}`, steps });
        await this.media.setState(fileId, 'queued', null, { type: 'media.queued', data: { handedTo: MEDIA_HW_QUEUE, reason: `handed to ${movedTo}` }, traceId });
        log(`handed to ${movedTo}`);
        return { accelPath: null, runId, movedTo: MEDIA_HW_QUEUE };
      }
      if (!probe.video) {
        // Audio is streamed from the original by range; there is no picture to make a ladder of.
        await this.media.setState(fileId, 'none', null, { type: 'media.ready', data: { runId, audioOnly: true, rungs: [] }, traceId }, { attemptId, result: { status: 'succeeded', accelPath: null, error: null, steps } });
        log('audio only: no ladder needed');
        this.metrics.transcodeJobs.inc({ outcome: 'ready', accel: 'none' });
        return { accelPath: null, runId };
      }
      const ladder = planLadder(probe);
      const order = fallbackOrder(this.capabilities.hwaccel.selected, probe);
      const input = original.path;
      const copy = await this.topRungCopy(probe, ladder, keyframes, scanning, log);
      let outcome: FallbackResult<string> | undefined;
      if (copy) {
        // The copy first; should every way of making it fail, the whole ladder is encoded as before.
        try {
          outcome = await walkFallback(order, (path) => this.encode(job, path, input, work!, probe, withCopiedTopRung(ladder, copy), runId, watch, fence, copy), isOutage);
        } catch (error) {
          if (!(error instanceof FallbackExhaustedError) || watch.signal.aborted) throw error;
          steps = error.steps;
          log(`the top-rung copy failed, so every rung is encoded: ${error.message}`);
        }
      }
      outcome ??= await walkFallback(order, (path) => this.encode(job, path, input, work!, probe, ladder, runId, watch, fence), isOutage);
      steps = [...steps, ...outcome.steps];
      const stepName = outcome.result;
      const accelPath = outcome.path;
      await watch.check();
      const workDir = work;
      const outputDir = join(workDir, stepName);
      // Poster and seek previews are two small ffmpeg runs on finished rungs: side by side, not one after the other.
      // From here on the encode is done: a part of Nebula that is down is waited out step by step
      // (finishing), not by running the job again, which would encode everything again.
      const [posterDone, storyboardDone] = await Promise.allSettled([
        this.finishing(file.name, 'the poster', watch.signal, () => this.poster(outputDir, probe, ladder, fileId, workDir, watch.signal)),
        this.finishing(file.name, 'the seek previews', watch.signal, () => this.storyboard(outputDir, probe, ladder, fileId, `${runId}-${stepName}`, workDir, watch.signal)),
      ]);
      if (posterDone.status === 'rejected') throw posterDone.reason;
      if (storyboardDone.status === 'rejected') throw storyboardDone.reason;
      const vtt = storyboardDone.value;
      const storyboard = vtt !== null;
      // Everything is published by now: a delete from here on finds it all and removes it, and one
      // before is seen here (or by the conditional update below) and cleaned up after the job.
      const stillThere = await this.finishing(file.name, 'recording the video as ready', watch.signal, async () => {
        await watch.check();
        await fence();
        // The seek-preview track is shared by every run, like the master: only a run that still holds its job writes it.
        if (vtt === null) await this.storage.delete(storageKeys.storyboard(fileId)).catch(() => undefined);
        else await this.storage.put(storageKeys.storyboard(fileId), Readable.from([Buffer.from(vtt)]), { contentType: 'text/vtt' });
        await this.removeOtherRuns(fileId, `${runId}-${stepName}`);
        return this.media.setState(
          fileId,
          'ready',
          null,
          {
            type: 'media.ready',
            data: {
              runId,
              accelPath,
              rungs: ladder.rungs.map((r) => `${r.width}x${r.height}`),
              topRung: stepName.endsWith(COPY_SUFFIX) ? 'copied' : 'encoded',
              hls: hlsMaster(fileId),
              ...(storyboard ? { storyboard: `/${storageKeys.storyboard(fileId)}` } : {}),
            },
            traceId,
          },
          { attemptId, result: { status: 'succeeded', accelPath, error: null, steps } },
        );
      });
      if (!stillThere) throw new FileDeletedError(file.name);
      log(`ready (${stepName}, ${ladder.rungs.map((r) => r.name).join(' ')})`);
      this.metrics.transcodeJobs.inc({ outcome: 'ready', accel: outcome.path });
      this.metrics.transcodeDuration.observe({ accel: outcome.path }, (Date.now() - started) / 1000);
      return { accelPath: outcome.path, runId };
    } catch (error) {
      const lost = lease.signal.aborted || error instanceof LostJobError || watch.signal.reason instanceof LostJobError;
      if (lost) {
        // Stale work: another node owns the job now. What this run published goes (the master never
        // pointed at it: the fence comes first), and neither the file's state nor the job is touched.
        await this.storage.deletePrefix(storageKeys.rendition(fileId, `${runId}-`)).catch(() => undefined);
        await this.media.finishAttempt(attemptId, { status: 'failed', accelPath: null, error: 'this node lost the job (cut off or stalled); another node runs it', steps }).catch(() => undefined);
        log('lost the job to another node: this run is discarded');
        throw error instanceof LostJobError ? error : new LostJobError(`${file.name}: this node lost the job's lock`, { cause: error });
      }
      // A delete removes the original first, so a job can fail of it before the watch notices: ask.
      const deleted = error instanceof FileDeletedError || watch.signal.aborted || !(await this.media.exists(fileId).catch(() => true));
      if (deleted) {
        // Deleted while it ran: ffmpeg is killed, and what this run published goes too.
        await this.removeOutputs(fileId);
        log('the file was deleted during the transcode: stopped, and its renditions and poster removed');
        return { accelPath: null, runId };
      }
      if (error instanceof FallbackExhaustedError) steps = error.steps;
      const reason = error instanceof Error ? error.message : String(error);
      const permanent = error instanceof MediaProbeError || error instanceof OriginalMissingError;
      // A part of Nebula down (Postgres restarting, storage not answering) is not the video's fault:
      // MediaWorker has the job wait it out without spending an attempt, so this is never the last.
      const last = !isOutage(error) && (permanent || attempt >= (job.opts.attempts ?? 1));
      // Counted first: when the database is what failed, the writes below fail too.
      this.metrics.transcodeJobs.inc({ outcome: last ? 'failed' : 'retried', accel: steps.at(-1)?.path ?? 'none' });
      await this.media.finishAttempt(attemptId, { status: 'failed', accelPath: steps.at(-1)?.path ?? null, error: reason, steps });
      if (last) {
        await this.media.setState(fileId, 'failed', reason, { type: 'media.failed', data: { attempt, reason }, traceId });
      } else {
        await this.media.setState(fileId, 'queued', reason, { type: 'media.queued', data: { retryOf: attempt, reason }, traceId });
      }
      log(`attempt ${attempt} failed: ${reason}`);
      // Bad media (or a lost original) will not get better with retries; the file's row stays.
      throw permanent ? new UnrecoverableError(reason) : error;
    } finally {
      lease.signal.removeEventListener('abort', onLost);
      watch.stop();
      scanning.abort();
      await original?.release();
      if (work) await rm(work, { recursive: true, force: true });
    }
  }

  /** The original as a local file; a failure says whether it is gone for good or storage failed. */
  private async openOriginal(file: FileRow): Promise<LocalOriginal> {
    try {
      return await this.originals.open(file.storageKey);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      if (error instanceof ObjectNotFoundError || e.code === 'ENOENT') {
        throw new OriginalMissingError(`the original of "${file.name}" is missing from object storage (${file.storageKey}): it cannot be transcoded; upload the file again`, { cause: error });
      }
      throw new Error(`cannot read the original of "${file.name}" from object storage (${storageFailure(error)})`, { cause: error });
    }
  }

  /** Everything a run of this file put in storage: renditions of every run, and the poster. */
  private async removeOutputs(fileId: string): Promise<void> {
    await this.storage.deletePrefix(storageKeys.renditionPrefix(fileId));
    await this.storage.delete(storageKeys.poster(fileId));
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

  /** ffprobe listing the original's video packets, for topRungCopy; rejects when `signal` stops it. */
  private keyframeScan(path: string, signal: AbortSignal): Promise<string> {
    const scan = stat(path).then(({ size }) => this.ffmpeg.ffprobe(keyframeScanArgs(path), { timeoutMs: keyframeScanTimeoutMs(size), signal }));
    // A scan that is stopped (or fails) before anything waits for it is no unhandled rejection.
    scan.catch(() => undefined);
    return scan;
  }

  /**
   * Whether the top rung can be the source's video as it is (see top-rung-copy.ts): the probe
   * decides most cases; an H.264 source's keyframes are then listed by ffprobe. Any doubt: encode.
   */
  private async topRungCopy(
    probe: MediaProbe,
    ladder: Ladder,
    keyframes: Promise<string>,
    scanning: AbortController,
    log: (line: string) => void,
  ): Promise<TopRungCopy | null> {
    const refusal = copyRefusal(probe, ladder);
    if (refusal) {
      // Not read at all: it would only compete with the encode for the disk and the cores.
      scanning.abort();
      log(`every rung is encoded: ${refusal}`);
      return null;
    }
    let scan: string;
    try {
      scan = await keyframes;
    } catch (error) {
      log(`every rung is encoded: ffprobe could not list its keyframes (${error instanceof Error ? error.message : String(error)})`);
      return null;
    }
    const plan = planTopRungCopy(probe, ladder, readKeyframeScan(scan));
    if ('refused' in plan) {
      log(`every rung is encoded: ${plan.refused}`);
      return null;
    }
    log(`the top rung is copied from the source (${plan.segmentSeconds.length} segments of at most ${plan.targetDurationSeconds} s)`);
    return plan;
  }

  /**
   * One fallback step: a single ffmpeg process for the whole ladder, published as it goes. Returns
   * the step's name: its folder under `work` and, after the run id, under hls/<id>/.
   */
  private async encode(
    job: Job<TranscodeJob>,
    path: AccelPath,
    input: string,
    work: string,
    probe: MediaProbe,
    ladder: Ladder,
    runId: string,
    watch: DeletionWatch,
    fence: () => Promise<void>,
    copy?: TopRungCopy,
  ): Promise<string> {
    const { fileId, traceId } = job.data;
    const stepName = copy ? `${path}${COPY_SUFFIX}` : path;
    const stepRun = `${runId}-${stepName}`;
    const outputDir = join(work, stepName);
    watch.signal.throwIfAborted();
    await rm(outputDir, { recursive: true, force: true });
    const command = hlsCommand(path, { input, outputDir, probe, ladder, ...(copy ? { copyTopRung: copy } : {}) }, { device: this.config.media.hwDevice });
    // A copied rung's segments follow the source's keyframes, and every rung is cut with it: the target covers the longest.
    const target = copy ? copy.targetDurationSeconds : targetDurationSeconds(ladder);
    const publisher = new HlsPublisher(
      this.storage,
      outputDir,
      storageKeys.rendition(fileId, `${stepRun}/`),
      storageKeys.rendition(fileId, hlsLayout.master),
      stepRun,
      { master: (text) => completeMasterPlaylist(text, ladder), variant: (text) => withTargetDuration(text, target), fence },
    );
    const reader = new ProgressReader(probe.durationSeconds);
    let lastEvent = 0;
    let progressSent: Promise<unknown> = Promise.resolve();
    let playable = false;
    const report = async () => {
      if (!playable && publisher.isMasterPublished) {
        playable = true;
        // Not recorded (Postgres down): the next report tries again.
        await this.media.appendEvent('media.playable', fileId, { hls: hlsMaster(fileId), accelPath: path }, traceId).catch((error: unknown) => {
          playable = false;
          throw error;
        });
      }
    };
    let lastSync = 0;
    const timer = setInterval(() => {
      if (publisher.isMasterPublished && Date.now() - lastSync < PUBLISH_INTERVAL_MS) return;
      lastSync = Date.now();
      void publisher.sync().then(report).catch((e: Error) => this.logger.warn(`publishing ${stepRun}: ${e.message}`));
    }, FIRST_PUBLISH_INTERVAL_MS);
    try {
      await this.ffmpeg.ffmpeg(command.args, {
        signal: watch.signal,
        onStdout: (chunk) => {
          for (const p of reader.push(chunk)) {
            const progress: TranscodeProgress = { fileId, percent: p.percent, fps: p.fps, speed: p.speed, etaSeconds: p.etaSeconds };
            // Progress is advisory: a Redis blip must not end the encode.
            job.updateProgress({ ...progress, accelPath: path }).catch(() => undefined);
            if (typeof p.speed === 'number') this.metrics.encodeSpeed.set(p.speed);
            if (Date.now() - lastEvent >= PROGRESS_EVENT_INTERVAL_MS || p.done) {
              lastEvent = Date.now();
              // One after the other, so the last (100 %) is not overtaken by the job's media.ready.
              progressSent = progressSent.then(() => this.media.appendEvent('media.progress', fileId, { ...progress, accelPath: path }, traceId)).catch(() => undefined);
            }
          }
        },
      });
    } finally {
      clearInterval(timer);
      // Deleted meanwhile: wait for the upload in flight, so the clean-up that follows removes it too.
      if (watch.signal.aborted) await publisher.close();
    }
    // A watcher sees the encode reach 100 % before the job is ready; progress is advisory, so a
    // database that does not answer holds the job up for a few seconds at most.
    await Promise.race([progressSent, sleep(PROGRESS_DRAIN_MS, undefined, { ref: false })]);
    // Done: every variant playlist is ended (#EXT-X-ENDLIST), then the last segments and the master go up.
    for (const rung of ladder.rungs) {
      const playlist = join(outputDir, hlsLayout.variantPlaylist(rung.name));
      await writeFile(playlist, finalizeVariantPlaylist(await readFile(playlist, 'utf8')));
    }
    await this.finishing(`file ${fileId}`, 'publishing the last segments', watch.signal, async () => {
      await publisher.sync();
      if (!publisher.isMasterPublished) throw new Error(`the ${stepName} encode finished but its master playlist was never complete`);
      await report();
    });
    return stepName;
  }

  /**
   * A step after the encode, run again while a part of Nebula is down (outlastOutage) rather than
   * ending the run: the job would then start over and encode everything again.
   */
  private finishing<T>(fileName: string, what: string, signal: AbortSignal, step: () => Promise<T>): Promise<T> {
    return outlastOutage(step, {
      signal,
      onWait: (error, waitMs) => this.logger.warn(`${fileName}: ${what}: ${describeOutage(error)}; trying again in ${waitMs / 1000} s, with the encode kept`),
    });
  }

  /**
   * Throws LostJobError unless this run still holds its job: the lock is renewed (BullMQ's
   * extendLock answers 0 when another holder has it, and fails when Redis cannot be reached), and
   * the attempt is still running (a node that took the job over marks it failed first). Postgres
   * not answering that question is not a takeover: its error goes up as it is, nothing is published
   * meanwhile, and the job waits out the outage (isOutage) with what it already published intact.
   */
  private async fence(job: Job<TranscodeJob>, fileName: string, lease: JobLease, attemptId: string): Promise<void> {
    const lost = (why: string) => new LostJobError(`${fileName}: ${why}; another node runs it`);
    if (lease.signal.aborted) throw lost('the lock was lost');
    const renewed = await job.extendLock(lease.token, lease.lockMs).catch(() => 0);
    if (!renewed) throw lost('the job lock could not be renewed');
    if (!(await this.media.attemptRunning(attemptId))) {
      // A delete removes the file's attempts with it: that is a delete, not another node's takeover.
      if (!(await this.media.exists(job.data.fileId).catch(() => true))) throw new FileDeletedError(fileName);
      throw lost('the attempt was taken over');
    }
  }

  /** A JPEG from a few seconds in, cut from the finished ladder (see posterRung), not from the original. */
  private async poster(outputDir: string, probe: MediaProbe, ladder: Ladder, fileId: string, work: string, signal: AbortSignal): Promise<void> {
    const out = join(work, 'poster.jpg');
    try {
      const rung = posterRung(ladder, probe);
      const playlist = join(outputDir, hlsLayout.variantPlaylist(rung.name));
      const source = segmentFileAt(outputDir, rung.name, await readFile(playlist, 'utf8'), posterSeconds(probe.durationSeconds));
      if (!source) throw new Error(`${hlsLayout.variantPlaylist(rung.name)} lists no fMP4 segment`);
      await this.ffmpeg.ffmpeg(posterArgs(source, out, probe), { signal });
      await putFile(this.storage, storageKeys.poster(fileId), out, { contentType: 'image/jpeg' });
    } catch (error) {
      // An outage is waited out (finishing); a missing poster is cosmetic: the ladder is what matters.
      if (signal.aborted || isOutage(error)) throw error;
      this.logger.warn(`no poster for ${fileId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * Seek previews from the smallest rung: sprite sheets in the run's folder (hls/<id>/<run>/storyboard/),
   * and the WebVTT track pointing at them, returned for the caller to put at hls/<id>/storyboard.vtt
   * once the run is fenced. Cosmetic, like the poster: a failure is logged and gives null (the previous
   * run's track is then removed; its sheets go with its run).
   */
  private async storyboard(outputDir: string, probe: MediaProbe, ladder: Ladder, fileId: string, stepRun: string, work: string, signal: AbortSignal): Promise<string | null> {
    const dir = join(work, 'storyboard');
    try {
      const board = planStoryboard(probe);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir);
      await this.ffmpeg.ffmpeg(storyboardArgs(join(outputDir, hlsLayout.variantPlaylist(storyboardRung(ladder))), dir, board), { signal });
      for (let i = 0; i < board.sheets; i++) {
        await putFile(this.storage, storageKeys.rendition(fileId, `${stepRun}/storyboard/${storyboardSheet(i)}`), join(dir, storyboardSheet(i)), { contentType: 'image/jpeg' });
      }
      return storyboardVtt(board, (i) => `${stepRun}/storyboard/${storyboardSheet(i)}`);
    } catch (error) {
      if (signal.aborted || isOutage(error)) throw error;
      this.logger.warn(`no seek previews for ${fileId}: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    }
  }

  /** Earlier runs (and failed steps of this one) under hls/<id>/ go, once the new master points at this run. */
  private async removeOtherRuns(fileId: string, keep: string): Promise<void> {
    const prefix = storageKeys.renditionPrefix(fileId);
    const stale = new Set<string>();
    for await (const object of this.storage.list(prefix)) {
      const run = object.key.slice(prefix.length).split('/')[0]!;
      if (run !== keep && run !== hlsLayout.master && `${prefix}${run}` !== storageKeys.storyboard(fileId)) stale.add(run);
    }
    for (const run of stale) await this.storage.deletePrefix(`${prefix}${run}/`);
  }
}
