import type { EntryDto } from '@nebula/contract';
import type { NebulaClient } from '../api-client';
import { uploadStateFile } from '../config';
import type { CommandContext } from '../context';
import { ApiError, CliError, describeError, EXIT, UnreachableError } from '../errors';
import { sampleHashFile, sha256File } from '../hash';
import { JsonReporter } from '../json-reporter';
import { scanSources } from '../local-scan';
import { mimeFor } from '../mime';
import { normaliseRemotePath } from '../remote-path';
import { ResumeStore } from '../resume-store';
import { startUpload, UploadAbortedError, type RunningUpload } from '../tus-upload';
import type { UploadEvent, UploadReporter } from '../upload-events';
import { planUpload, type PlannedFile } from '../upload-plan';
import { UploadQueue } from '../upload-queue';

export interface UploadOptions {
  to: string;
  concurrency: number;
  /** Give up an unfinished upload of the same name (this user's) and upload anew. */
  replace?: boolean;
}

/**
 * nebula upload <file-or-dir>... : skip what is already there, upload the rest over tus with
 * resume. Each file is read once: hashed while it is sent. Only a file that may already be on the
 * server (same size and sample hash, see sampleHash in @nebula/shared) is hashed in full first, to
 * be sure. Resolves with the exit code (non-zero if any file failed).
 */
export async function upload(inputs: string[], options: UploadOptions, context: CommandContext): Promise<number> {
  const to = normaliseRemotePath(options.to);
  const sources = await scanSources(inputs);
  const plan = planUpload(sources, to);
  const client = await context.client();

  // Folders first (their parents too), so every file has somewhere to land.
  for (const folder of plan.folders) await ensureFolder(client, folder);

  const reporter: UploadReporter = context.output.json
    ? new JsonReporter<UploadEvent>()
    : new (await import('../ui/upload-screen')).InkUploadReporter(context.output.color);
  const emit = (event: UploadEvent) => reporter.emit(event);
  emit({ event: 'plan', files: plan.files.length, bytes: plan.totalBytes, to });

  const store = new ResumeStore(uploadStateFile());
  const listings = new Map<string, Promise<Map<string, EntryDto>>>();
  const listing = (folder: string) => {
    let found = listings.get(folder);
    if (!found) {
      found = client.listFolder(folder).then(
        (result) => new Map(result.entries.map((entry) => [entry.name, entry])),
        (error: unknown) => {
          if (error instanceof ApiError && error.status === 404) return new Map<string, EntryDto>();
          throw error;
        },
      );
      listings.set(folder, found);
    }
    return found;
  };

  let me: Promise<string | null> | undefined;
  const myself = () => (me ??= client.me().then((answer) => answer.user));

  const running = new Set<RunningUpload>();
  const queue = new UploadQueue<PlannedFile, { sent: number; skipped: boolean }>(options.concurrency);
  let interrupted = false;
  const interrupt = () => {
    if (interrupted) process.exit(EXIT.interrupted); // a second Ctrl-C: leave now
    interrupted = true;
    queue.stop();
    for (const upload of running) void upload.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);

  const startedAt = Date.now();
  const { outcomes, notStarted } = await queue.run(plan.files, async (file) => {
    try {
      const sample = await sampleHashFile(file.absolute, file.size);
      let sha256: string | undefined;
      const fullHash = async () => (sha256 ??= await sha256File(file.absolute, (bytes) => emit({ event: 'hashing', file: file.display, bytes, total: file.size })));
      const existing = (await listing(file.folder)).get(file.name);
      // A candidate: same size, and the same sample hash (a file stored before sample hashes has
      // none, so its size alone makes it one). Only then is the whole file read before sending.
      const candidate = (entry: { size: number | null; sample?: string | null }) => entry.size === file.size && (entry.sample ?? sample) === sample;
      if (existing?.kind === 'file' && existing.status === 'ready' && candidate(existing) && existing.sha256 === (await fullHash())) {
        emit({ event: 'skipped', file: file.display, id: existing.id, path: existing.path, sha256: existing.sha256, bytes: file.size, reason: `already at ${existing.path} with the same sha256` });
        return { sent: 0, skipped: true };
      }
      if (interrupted) throw new CliError('interrupted', EXIT.interrupted, 'interrupted');
      let resumeUrl: string | undefined;
      // An unfinished upload of this name that is ours (started on any device): the same file goes
      // on where it stopped; --replace gives it up first. Anyone else's is left to the server's 409.
      if (existing?.kind === 'file' && existing.status === 'uploading' && existing.upload && existing.owner === (await myself())) {
        if (options.replace) {
          await client.terminateUpload(existing.upload.url);
          await nameFreed(client, existing);
          emit({ event: 'replaced', file: file.display, path: existing.path, received: existing.upload.received, startedAt: existing.createdAt });
        } else if (existing.upload.sample ? candidate({ size: existing.size, sample: existing.upload.sample }) : existing.size === file.size && existing.upload.sha256 === (await fullHash())) {
          resumeUrl = new URL(existing.upload.url, `${client.server}/`).toString();
        }
      }
      const upload = startUpload(
        client.server,
        client.uploadsEndpoint,
        store,
        { ...file, sha256, sample, mime: mimeFor(file.name) },
        {
          onProgress: (bytes, total) => emit({ event: 'progress', file: file.display, bytes, total }),
          onResumed: (offset) => emit({ event: 'resumed', file: file.display, offset, total: file.size }),
        },
        undefined,
        resumeUrl,
      );
      running.add(upload);
      const { sent, sha256: local } = await upload.done.finally(() => running.delete(upload));
      const entry = await client.lookup(file.path);
      // The gateway checks the sha256 this end declared; this is the check of the other side, for
      // an upload the gateway finished without hearing it (its last answer was lost in a restart).
      if (local && entry.sha256 && entry.sha256 !== local) {
        await client.remove(entry.id, false);
        throw new CliError(`the server stored ${file.path} with sha256 ${entry.sha256}, but ${file.display} has ${local}; the server's copy was deleted: send it again`, EXIT.failed, 'checksum_mismatch');
      }
      emit({ event: 'done', file: file.display, id: entry.id, path: entry.path, sha256: entry.sha256 ?? local ?? '', bytes: file.size, sent });
      return { sent, skipped: false };
    } catch (error) {
      const { message, code } = describeError(error);
      if (!interrupted) emit({ event: 'error', file: file.display, path: file.path, code, message });
      throw error;
    }
  });
  process.off('SIGINT', interrupt);
  process.off('SIGTERM', interrupt);

  const failed = outcomes.filter((outcome) => !outcome.ok);
  // Ctrl-C: a file stopped part way has its bytes on the server (the next run resumes it); the
  // others that ended then never sent a byte.
  const stopped = failed.flatMap((outcome) => (!outcome.ok && outcome.error instanceof UploadAbortedError ? [outcome.error] : []));
  emit({
    event: 'summary',
    uploaded: outcomes.filter((outcome) => outcome.ok && !outcome.value.skipped).length,
    skipped: outcomes.filter((outcome) => outcome.ok && outcome.value.skipped).length,
    failed: interrupted ? 0 : failed.length,
    stopped: interrupted ? stopped.length : 0,
    notStarted: notStarted.length + (interrupted ? failed.length - stopped.length : 0),
    bytes: plan.totalBytes,
    sent: outcomes.reduce((sum, outcome) => sum + (outcome.ok ? outcome.value.sent : 0), 0) + stopped.reduce((sum, error) => sum + error.sent, 0),
    seconds: (Date.now() - startedAt) / 1000,
  });
  await reporter.finish();

  if (interrupted) throw new CliError('interrupted: run the same command again to resume where it stopped', EXIT.interrupted, 'interrupted');
  if (failed.length === 0) return EXIT.ok;
  const everyFailureIsUnreachable = failed.every((outcome) => !outcome.ok && outcome.error instanceof UnreachableError);
  process.stderr.write(`nebula: ${failed.length} of ${plan.files.length} file${plan.files.length === 1 ? '' : 's'} failed\n`);
  return everyFailureIsUnreachable ? EXIT.unreachable : EXIT.failed;
}

/**
 * The gateway frees an unfinished upload's name just after it answers the termination: wait for
 * that (a few seconds at most) so the new upload's creation does not hear 409.
 */
async function nameFreed(client: NebulaClient, old: EntryDto): Promise<void> {
  for (let wait = 50; wait <= 3200; wait *= 2) {
    const now = await client.find(old.path);
    if (!now || now.id !== old.id) return;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** POST /api/folders with parents; a folder that is already there is fine. */
async function ensureFolder(client: NebulaClient, path: string): Promise<void> {
  if (path === '/') return;
  try {
    await client.createFolder(path, true);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'already_exists') return;
    throw error;
  }
}
