import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { MEDIA_HW_QUEUE, MEDIA_QUEUE, type EntryDto, type MediaDetails } from '@nebula/contract';
import { RETRY_DELAYS } from '../../cli/src/tus-upload';
import { freePort } from '../embedded/processes';
import { processRuns } from '@nebula/shared/runtime';
import { isHealthy, npmStart, postmasterPid, stackFile, stopStack, waitForOutput, type NpmStart } from '../test-support/npm-start';
import { makeRandomFile, tempDir } from '../test-support/services';

const exec = promisify(execFile);

type Service = 'gateway' | 'worker' | 'redis' | 'postgres';
/** Two of each, in a random order: every service dies at least twice, at random moments. */
const KILLS: Service[] = ['gateway', 'worker', 'redis', 'postgres', 'gateway', 'worker', 'redis', 'postgres'];

interface Fixture {
  name: string;
  path: string;
  sha256: string;
  video: boolean;
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

async function makeClip(path: string, size: string, seconds: number): Promise<void> {
  await exec('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', path,
  ]);
}

/**
 * A tus upload that keeps retrying through restarts, as `nebula upload` does (its retry delays);
 * resolves true once the server acknowledged it. Every retry goes on `log` with what failed.
 */
function upload(url: string, file: Fixture, failures: Map<string, string>, log: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    new tus.Upload(createReadStream(file.path), {
      endpoint: `${url}/api/uploads`,
      uploadSize: statSync(file.path).size,
      // Small chunks: many PATCH requests, so kills land in the middle of uploads.
      chunkSize: 256 * 1024,
      metadata: { filename: file.name, sha256: file.sha256 },
      // The CLI's: tus-js-client starts them over whenever a retry moved the upload forward, so
      // they are what a client bears of a server that makes no progress (about two minutes).
      retryDelays: RETRY_DELAYS,
      onShouldRetry: (error, attempt) => {
        // tus-js-client's own rule: everything but a 4xx other than 409 and 423.
        const status = error.originalResponse?.getStatus() ?? 0;
        const retry = status < 400 || status >= 500 || status === 409 || status === 423;
        log.push(`${new Date().toISOString()} ${file.name}: ${retry ? `retry ${attempt + 1} in ${RETRY_DELAYS[attempt]! / 1000} s` : 'gives up'} (${status || error.message.split(',')[0]})`);
        return retry;
      },
      onError: (error) => {
        failures.set(file.name, error.message.split('\n')[0]!);
        resolve(false);
      },
      onSuccess: () => resolve(true),
    }).start();
  });
}

async function json<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The supervisor's last lines (what died, what restarted, what failed to) and the services' last errors, for a failure's message. */
function supervisorSaid(output: string): string {
  const lines = output.split('\n');
  const tail = (pick: (line: string) => boolean, n: number) => lines.filter(pick).slice(-n).map((line) => `  | ${line.slice(0, 300)}`);
  return [
    'what the supervisor said last:',
    ...tail((line) => line.startsWith('nebula:'), 12),
    'the services\' last errors:',
    ...tail((line) => /^\[(gateway|worker)\] \S+ error /.test(line), 8),
  ].join('\n');
}

/**
 * For a failed run: each stuck video's state and attempts as the API gives them, its jobs as Redis
 * holds them (state, attempts, stalls, why one failed), and the stack's last lines about it.
 */
async function explainStuck(url: string, dataDir: string, videos: { name: string; id: string }[], output: string): Promise<string> {
  const queues = [MEDIA_QUEUE, MEDIA_HW_QUEUE].map((name) => new Queue(name, { connection: { host: '127.0.0.1', port: stackFile(dataDir).redis.port, maxRetriesPerRequest: 1 } }));
  const lines: string[] = [];
  try {
    const jobs = (await Promise.all(queues.map((q) => q.getJobs([], 0, -1)))).flat().filter((job) => !!job);
    for (const { name, id } of videos) {
      const media = await json<MediaDetails>(`${url}/api/files/${id}/media`).catch((e: Error) => e.message);
      lines.push(`${name} (${id}): ${typeof media === 'string' ? media : `${media.status}; attempts: ${media.attempts.map((a) => `${a.attempt} ${a.status} (job ${a.jobId})${a.error ? ` (${a.error})` : ''}`).join(', ') || 'none'}`}`);
      for (const job of jobs.filter((j) => (j.data as { fileId?: string }).fileId === id)) {
        const state = await job.getState().catch(() => 'unknown');
        lines.push(`  job ${job.id} on ${job.queueName}: ${state}, attempts made ${job.attemptsMade} of ${job.attemptsStarted} started, stalled ${job.stalledCounter}${job.failedReason ? `, failed: ${job.failedReason}` : ''}${job.processedOn ? `, processed ${new Date(job.processedOn).toISOString()}` : ''}`);
      }
      // Its requests are many and say little; the gateway's and the worker's other lines say what happened.
      lines.push(...output.split('\n').filter((line) => line.includes(id) && !line.includes(' http: ')).slice(-15).map((line) => `  | ${line.slice(0, 400)}`));
    }
    lines.push(supervisorSaid(output));
  } catch (error) {
    lines.push(`(could not read the queue: ${(error as Error).message})`);
  } finally {
    await Promise.all(queues.map((q) => q.close().catch(() => undefined)));
  }
  return lines.join('\n');
}

describe('chaos: SIGKILL of the gateway, the worker, Redis and Postgres during uploads and transcodes (npm start)', () => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  let fixtures: Awaited<ReturnType<typeof tempDir>>;
  let running: NpmStart | undefined;
  let url: string;
  const files: Fixture[] = [];

  beforeAll(async () => {
    [data, fixtures] = await Promise.all([tempDir('nebula-chaos-'), tempDir('nebula-chaos-files-')]);
    const clips: [string, string, number][] = [['a.mp4', '640x360', 3], ['b.mp4', '854x480', 4], ['c.mp4', '1280x720', 3], ['d.mp4', '640x360', 5], ['e.mp4', '1280x720', 4], ['f.mp4', '480x270', 2]];
    for (const [name, size, seconds] of clips) {
      const path = join(fixtures.path, name);
      await makeClip(path, size, seconds);
      files.push({ name, path, sha256: sha256(path), video: true });
    }
    for (const [name, mib] of [['notes.bin', 4], ['photos.bin', 8], ['backup.bin', 16], ['disk.bin', 24]] as const) {
      const path = join(fixtures.path, name);
      files.push({ name, path, sha256: await makeRandomFile(path, mib * 1024 * 1024), video: false });
    }
    running = npmStart({
      NEBULA_DATA_DIR: data.path,
      NEBULA_PORT: String(await freePort()),
      // A killed worker's job is picked up again within seconds, and lost work is re-checked often.
      NEBULA_JOB_LOCK_SECONDS: '4',
      NEBULA_MEDIA_RECHECK_SECONDS: '2',
    });
    [, url] = (await waitForOutput(running, /Nebula is up: (http:\/\/127\.0\.0\.1:\d+)/, 240_000)) as [string, string];
  }, 300_000);

  afterAll(async () => {
    await stopStack(running);
    await data?.remove();
    await fixtures?.remove();
  });

  it('every acknowledged upload downloads byte-exact, and every video ends ready or failed with a reason', async () => {
    const order = [...KILLS].sort(() => Math.random() - 0.5);
    const log: string[] = [];
    let kills = 0;
    let uploading = 0;

    const chaos = (async () => {
      for (const victim of order) {
        // Soon after the start, so the first kills land while files are still uploading.
        await sleep(300 + Math.random() * 2500);
        // A service may be between two restarts (it crashed again at start, e.g. with Postgres
        // down): wait until it runs, then kill it.
        const pidOf = () => {
          const stack = stackFile(data.path);
          const pid = { gateway: stack.gateway, worker: stack.worker, redis: stack.redis.pid, postgres: postmasterPid(data.path) }[victim];
          return pid && processRuns(pid) ? pid : 0;
        };
        await expect.poll(pidOf, { timeout: 90_000, interval: 200, message: `the ${victim} never ran again` }).toBeGreaterThan(0);
        const pid = pidOf();
        const from = running!.output().length;
        process.kill(pid, 'SIGKILL');
        kills++;
        log.push(`${new Date().toISOString()} SIGKILL ${victim} (pid ${pid}), ${uploading} upload(s) running`);
        await waitForOutput(running!, new RegExp(`nebula: the ${victim} is running again`), 90_000, from);
      }
    })();

    // Three uploads at a time, as `nebula upload` does.
    const acknowledged = new Map<string, boolean>();
    const failures = new Map<string, string>();
    const queue = [...files];
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        for (let file = queue.shift(); file; file = queue.shift()) {
          uploading++;
          acknowledged.set(file.name, await upload(url, file, failures, log));
          uploading--;
        }
      }),
    );
    await chaos;
    // What was killed when, on the test's output whatever the outcome: a failure is replayed from it.
    console.log(log.join('\n'));
    await expect
      .poll(() => isHealthy(url), { timeout: 90_000, interval: 500 })
      .toBe(true)
      .catch(async () => {
        const health = await fetch(`${url}/api/health`).then((r) => r.text(), (e: Error) => e.message);
        throw new Error(`the stack is not healthy 90 s after the last kill: ${health}\n${supervisorSaid(running!.output())}`);
      });

    const checked = files.filter((f) => acknowledged.get(f.name));
    const entries = new Map<string, EntryDto>();
    for (const file of checked) entries.set(file.name, await json<EntryDto>(`${url}/api/files/lookup?path=/${file.name}`));

    // None stuck: every video reaches an end, with a reason when it failed.
    const outcomes = new Map<string, MediaDetails>();
    const stuck = () => checked.filter((f) => f.video && !outcomes.has(f.name));
    try {
      await expect
        .poll(async () => {
          for (const file of checked.filter((f) => f.video)) {
            const media = await json<MediaDetails>(`${url}/api/files/${entries.get(file.name)!.id}/media`);
            if (media.status === 'ready' || media.status === 'failed') outcomes.set(file.name, media);
          }
          return stuck().map((f) => f.name);
        }, { timeout: 180_000, interval: 1000 })
        .toEqual([]);
    } catch {
      // The stack's log goes with its data folder, and CI keeps only the end of the test's output:
      // what the stuck videos' rows, jobs and log lines say goes into the failure's own message.
      throw new Error(`videos neither ready nor failed after 180 s:\n${await explainStuck(url, data.path, stuck().map((f) => ({ name: f.name, id: entries.get(f.name)!.id })), running!.output())}`);
    }
    for (const [name, media] of outcomes) if (media.status === 'failed') expect(media.error, `${name} failed without a reason`).toMatch(/\w/);

    for (const file of checked) {
      const entry = entries.get(file.name)!;
      // tus-js-client counts an upload done once HEAD reports every byte; the file must then exist.
      expect(entry.status, `${file.name} was acknowledged to the client but is not a file (its upload never finished on the server)`).toBe('ready');
      const res = await fetch(`${url}/api/files/${entry.id}/content`);
      expect(res.status, file.name).toBe(200);
      expect(createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex'), `${file.name} is not byte-exact`).toBe(file.sha256);
    }

    const ready = [...outcomes.values()].filter((m) => m.status === 'ready').length;
    const summary =
      `chaos: ${kills} SIGKILLs survived (${order.join(', ')}); ${checked.length} of ${files.length} uploads acknowledged and checked byte-exact; ` +
      `${outcomes.size} videos ended: ${ready} ready, ${outcomes.size - ready} failed with a reason` +
      [...outcomes].filter(([, m]) => m.status === 'failed').map(([name, m]) => `\n  ${name} (${m.attempts.length} attempts): ${m.error}`).join('');
    console.log(summary);
    expect(kills).toBe(KILLS.length);
    // The uploads retry through every kill; one given up would be a lost upload.
    expect(Object.fromEntries(failures), `uploads the client gave up; what happened:\n${log.join('\n')}\n${supervisorSaid(running!.output())}`).toEqual({});
  }, 600_000);
});
