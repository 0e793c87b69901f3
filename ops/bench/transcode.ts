// Transcode benchmark, on generated clips (lavfi), side by side in one run of `npm start`'s stack:
//   1. top-rung copy: a 10 s 4K H.264 8-bit clip with a keyframe a second (as phones record), whose
//      2160p rung is copied and only the lower rungs are encoded, against the full encode of the
//      same picture with x264's default 250-frame keyframe interval (which the copy refuses), both
//      as Nebula jobs (queued → ready), and the copy job's upload done to first playable
//      (media.playable), beside the same ffmpeg command run alone (when it has written every rung's
//      first segment: the floor under first playable on this machine);
//   2. an HEVC 10-bit HDR (HLG) clip: the Nebula job against the same ladder as a single ffmpeg
//      command (what the worker runs, without -progress), the pipeline's own overhead;
//   3. with BENCH_PER_RUNG=1, one ffmpeg per rung for the 4K clip, one after the other (once).
// Every job runs BENCH_ROUNDS times (the first after its upload, then replays of upload.completed;
// the copy job is uploaded afresh each round, a remux with its own bytes, so that "upload done →
// first playable" is measured every time), the sides interleaved, order alternating; medians and
// their ratios are printed.
//
//   npx tsx ops/bench/transcode.ts
//   (BENCH_SECONDS=10 BENCH_SIZE=3840x2160 BENCH_HDR_SIZE=1920x1080 BENCH_ROUNDS=3 BENCH_PARTS=copy,hdr by default)
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { fileSubject, type EntryDto, type NebulaEvent } from '@nebula/contract';
import { hlsCommand } from '../../worker/src/media/ffmpeg/fallback';
import { planLadder } from '../../worker/src/media/ladder';
import { parseProbe, probeArgs } from '../../worker/src/media/probe';
import { keyframeScanArgs, planTopRungCopy, readKeyframeScan, withCopiedTopRung } from '../../worker/src/media/top-rung-copy';
import { median, startStack, tusUpload } from './stack';

const exec = promisify(execFile);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const size = process.env.BENCH_SIZE ?? '3840x2160';
const hdrSize = process.env.BENCH_HDR_SIZE ?? '1920x1080';
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
/** BENCH_PARTS=copy or hdr runs one side only (more rounds of it in the same time); both by default. */
const parts = new Set((process.env.BENCH_PARTS ?? 'copy,hdr').split(','));

/** A command the worker builds, as run by hand: without its -progress pipe. */
function withoutProgress(args: readonly string[]): string[] {
  return args.filter((arg, i) => arg !== '-progress' && args[i - 1] !== '-progress');
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const ff = (args: string[]) => execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
const lavfi = (picture: string) => ['-f', 'lavfi', '-i', `testsrc2=size=${picture}:rate=30:duration=${seconds}`, '-f', 'lavfi', '-i', `sine=duration=${seconds}`];

interface JobTimes {
  /** media.queued → media.ready, seconds. */
  job: number[];
  /** media.queued → media.playable (the first master playlist a player can open). */
  playable: number[];
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'nebula-bench-transcode-'));
  const phone = join(work, 'phone.mp4');
  const longGop = join(work, 'long-gop.mp4');
  const hdr = join(work, 'hdr.mp4');
  const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'];
  ff([...lavfi(size), ...x264, '-g', '30', phone]);
  // The same streams with other bytes (a tag), so each round's upload is a new file, not a duplicate.
  const phoneCopies = Array.from({ length: rounds }, (_, round) => {
    const path = join(work, `phone-${round + 1}.mp4`);
    ff(['-i', phone, '-map', '0', '-c', 'copy', '-metadata', `comment=round ${round + 1}`, path]);
    return path;
  });
  ff([...lavfi(size), ...x264, longGop]);
  ff([...lavfi(hdrSize), '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-pix_fmt', 'yuv420p10le', '-color_trc', 'arib-std-b67', '-color_primaries', 'bt2020', '-colorspace', 'bt2020nc', '-tag:v', 'hvc1', '-c:a', 'aac', '-shortest', hdr]);
  const probeOf = async (path: string) => parseProbe(JSON.parse((await exec('ffprobe', probeArgs(path))).stdout), path);
  const probe = await probeOf(phone);
  const ladder = planLadder(probe);
  const hdrProbe = await probeOf(hdr);

  // One ffmpeg per rung, in sequence: decodes the source once per rung (BENCH_PER_RUNG=1; about a minute more).
  const perRung = process.env.BENCH_PER_RUNG !== '1' ? null : await timed(async () => {
    for (const rung of ladder.rungs) {
      const out = join(work, 'per', rung.name);
      await mkdir(out, { recursive: true });
      await exec('ffmpeg', [
        '-hide_banner', '-loglevel', 'error', '-y', '-i', longGop, '-vf', `scale=${rung.width}:${rung.height}`, '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', String(rung.videoBitrate),
        '-maxrate', String(rung.maxrate), '-bufsize', String(rung.bufsize), '-g', String(rung.gopFrames), '-keyint_min', String(rung.gopFrames), '-sc_threshold', '0', '-pix_fmt', 'yuv420p',
        '-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-f', 'hls', '-hls_time', String(ladder.segmentSeconds), '-hls_playlist_type', 'vod', '-hls_segment_type', 'fmp4', join(out, 'index.m3u8'),
      ]);
    }
  });

  // The HDR ladder as one ffmpeg command, the way the worker builds it, minus -progress.
  const hdrArgs = withoutProgress(hlsCommand('software', { input: hdr, outputDir: join(work, 'one'), probe: hdrProbe, ladder: planLadder(hdrProbe) }).args);
  const oneCommand = () =>
    timed(async () => {
      await rm(join(work, 'one'), { recursive: true, force: true });
      await mkdir(join(work, 'one'));
      await exec('ffmpeg', hdrArgs);
    });

  // The copy job's own ffmpeg command (as the worker builds it, minus -progress), run directly: when
  // it has written every rung's first segment is the floor under "upload done → first playable";
  // what the job takes beyond it is Nebula's (queue, probe, keyframe scan, publishing).
  const copyPlan = planTopRungCopy(probe, ladder, readKeyframeScan((await exec('ffprobe', keyframeScanArgs(phone), { maxBuffer: 256 * 1024 * 1024 })).stdout));
  if ('refused' in copyPlan) throw new Error(`the bench's phone clip should be copied, but: ${copyPlan.refused}`);
  const copyOut = join(work, 'copy-alone');
  const copyArgs = withoutProgress(hlsCommand('software', { input: phone, outputDir: copyOut, probe, ladder: withCopiedTopRung(ladder, copyPlan), copyTopRung: copyPlan }).args);
  const copyAlone: number[] = [];
  const copyCommand = async () => {
    await rm(copyOut, { recursive: true, force: true });
    await mkdir(copyOut);
    const started = Date.now();
    let firstSegments = 0;
    const hasSegment = async (rung: string) => (await readdir(join(copyOut, rung)).catch(() => [] as string[])).some((name) => name.endsWith('.m4s'));
    const child = spawn('ffmpeg', copyArgs, { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // Every 20 ms, as the worker's publisher looks every 100 ms: the floor is not rounded up.
    while (child.exitCode === null && !firstSegments) {
      if ((await Promise.all(ladder.rungs.map((rung) => hasSegment(rung.name)))).every(Boolean)) firstSegments = (Date.now() - started) / 1000;
      else await new Promise((r) => setTimeout(r, 20));
    }
    if ((await exited) !== 0) throw new Error(`the copy command failed: ffmpeg ${copyArgs.join(' ')}`);
    if (!firstSegments) throw new Error(`the copy command ended before every rung had a segment: ffmpeg ${copyArgs.join(' ')}`);
    copyAlone.push(firstSegments);
    console.log(`copy command alone: every rung's first segment after ${firstSegments.toFixed(1)} s, done after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  };

  const stack = await startStack();
  const times = new Map<string, JobTimes>();
  const uploadToPlayable: number[] = [];
  const oneHdr: number[] = [];
  const topRung = new Map<string, unknown>();
  try {
    const eventsOf = async (fileId: string) => (await (await fetch(`${stack.url}/api/events?subject=${fileSubject(fileId)}&limit=1000`)).json()) as NebulaEvent[];
    /** Waits for the job that `start` queues (it returns the first event id of it) and records its times from the event log. */
    const nebulaJob = async (name: string, fileId: () => string, start: () => Promise<number>) => {
      const after = await start();
      for (;;) {
        const run = (await eventsOf(fileId())).filter((e) => Number(e.id) >= after);
        const failed = run.find((e) => e.type === 'media.failed');
        if (failed) throw new Error(`the ${name} job failed: ${JSON.stringify(failed.data)}`);
        const at = (type: string) => Date.parse(run.find((e) => e.type === type)!.time);
        const ready = run.find((e) => e.type === 'media.ready');
        if (ready) {
          const entry = times.get(name) ?? { job: [], playable: [] };
          entry.job.push((at('media.ready') - at('media.queued')) / 1000);
          entry.playable.push((at('media.playable') - at('media.queued')) / 1000);
          times.set(name, entry);
          // Each figure as it lands: a run cut short still leaves them.
          console.log(`${name} job: ${entry.job.at(-1)!.toFixed(1)} s, first playable ${entry.playable.at(-1)!.toFixed(1)} s (${String((ready.data as { topRung?: unknown }).topRung)})`);
          topRung.set(name, (ready.data as { topRung?: unknown }).topRung);
          if (run.some((e) => e.type === 'upload.completed')) return (at('media.playable') - at('upload.completed')) / 1000;
          return null;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    const files = new Map<string, { id: string; uploadEvent: string }>();
    const uploadJob = async (name: string, path: string) =>
      nebulaJob(name, () => files.get(name)!.id, async () => {
        const fileName = basename(path);
        await tusUpload(stack.url, path, statSync(path).size, fileName);
        const id = ((await (await fetch(`${stack.url}/api/files/lookup?path=/${encodeURIComponent(fileName)}`)).json()) as EntryDto).id;
        const uploaded = (await eventsOf(id)).find((e) => e.type === 'upload.completed')!;
        files.set(name, { id, uploadEvent: uploaded.id });
        return Number(uploaded.id);
      });
    const replayJob = (name: string) =>
      nebulaJob(name, () => files.get(name)!.id, async () => {
        // The gateway takes JSON bodies only (415 otherwise): without this the bench waited for a job never queued.
        const response = await fetch(`${stack.url}/api/events/${files.get(name)!.uploadEvent}/replay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        if (!response.ok) throw new Error(`replaying ${name}'s upload failed: ${response.status} ${await response.text()}`);
        return Number(((await response.json()) as NebulaEvent).id);
      });

    // Round 1 follows the uploads, as a user's jobs do; then replays, the order alternating. A large
    // ffmpeg that starts after the machine sat idle runs ~2 s slower on this VM, so no side always goes first.
    if (parts.has('copy')) {
      const copied = await uploadJob('phone', phoneCopies[0]!);
      if (copied !== null) uploadToPlayable.push(copied);
      await uploadJob('long-gop', longGop);
      await copyCommand();
    }
    if (parts.has('hdr')) {
      await uploadJob('hdr', hdr);
      oneHdr.push(await oneCommand());
      console.log(`hdr single command: ${oneHdr.at(-1)!.toFixed(1)} s`);
    }
    for (let round = 1; round < rounds; round++) {
      const order = (round % 2 === 1 ? ['long-gop', 'phone', 'alone', 'hdr', 'one'] : ['one', 'hdr', 'alone', 'phone', 'long-gop']).filter((step) =>
        parts.has(step === 'one' || step === 'hdr' ? 'hdr' : 'copy'),
      );
      for (const step of order) {
        if (step === 'one') {
          oneHdr.push(await oneCommand());
          console.log(`hdr single command: ${oneHdr.at(-1)!.toFixed(1)} s`);
        }
        else if (step === 'alone') await copyCommand();
        else if (step === 'phone') {
          const copied = await uploadJob('phone', phoneCopies[round]!);
          if (copied !== null) uploadToPlayable.push(copied);
        } else await replayJob(step);
      }
    }
  } finally {
    await stack.stop();
    await rm(work, { recursive: true, force: true });
  }

  const list = (values: number[]) => values.map((v) => v.toFixed(1)).join(', ');
  const copy = times.get('phone');
  const full = times.get('long-gop');
  const hdrJob = times.get('hdr');
  const row = (label: string, values: number[], note = '') => console.log(`${label.padEnd(46)}${median(values).toFixed(1).padStart(6)} s   ${note}[${list(values)}]`);
  console.log(`\n${seconds} s clips, ${rounds} runs each, medians; ladder ${ladder.rungs.map((r) => r.name).join(' ')} (libx264 veryfast, fMP4 HLS); machine: ${process.env.BENCH_NOTE ?? 'see the report'}`);
  if (copy && full) {
    row(`4K H.264, top rung copied (${String(topRung.get('phone'))})`, copy.job, `ratio ${(median(copy.job) / median(full.job)).toFixed(2)}x the full encode (target <= 0.6x)   `);
    row(`4K H.264, every rung encoded (${String(topRung.get('long-gop'))})`, full.job);
    // Every round of the copy job is an upload, queued in the same moment it completes: its
    // "queued → first playable" would print the same figures again.
    row('copy job: upload done → first playable', uploadToPlayable, '(target <= 3 s)   ');
    row("its command alone: every rung's first segment", copyAlone, `Nebula adds ${(median(uploadToPlayable) - median(copyAlone)).toFixed(1)} s   `);
    row('full encode: queued → first playable', full.playable);
  }
  if (hdrJob) {
    row(`HEVC 10-bit HLG ${hdrSize}: nebula job`, hdrJob.job, `ratio ${(median(hdrJob.job) / median(oneHdr)).toFixed(2)}x the single command (target <= 1.05x)   `);
    row(`HEVC 10-bit HLG ${hdrSize}: one ffmpeg command`, oneHdr);
  }
  if (perRung !== null) console.log(`${'4K, one ffmpeg per rung, in sequence (once)'.padEnd(46)}${perRung.toFixed(1).padStart(6)} s`);
}

await main();
