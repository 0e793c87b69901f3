// Transcode benchmark, on a generated 10 s 4K clip (lavfi), in one run:
//   1. the Nebula job: from the upload done to the file ready (and to the first playable master),
//   2. the same ladder as a single ffmpeg command (split + -var_stream_map, what the worker runs),
//   3. one ffmpeg per rung, run one after the other.
// Prints the times and the ratios.
//
//   npx tsx ops/bench/transcode.ts        (BENCH_SECONDS=10 BENCH_SIZE=3840x2160 by default)
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { EntryDto, MediaDetails, NebulaEvent } from '@nebula/shared';
import { hlsCommand } from '../../worker/src/media/ffmpeg-args';
import { planLadder } from '../../worker/src/media/ladder';
import { parseProbe, probeArgs } from '../../worker/src/media/probe';
import { startStack, tusUpload } from './stack';

const exec = promisify(execFile);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const size = process.env.BENCH_SIZE ?? '3840x2160';

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'nebula-bench-transcode-'));
  const clip = join(work, 'clip.mp4');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30:duration=${seconds}`, '-f', 'lavfi', '-i', `sine=duration=${seconds}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip]);
  const probe = parseProbe(JSON.parse((await exec('ffprobe', probeArgs(clip))).stdout), 'clip.mp4');
  const ladder = planLadder(probe);

  // 2. The same ladder as one ffmpeg command, written by hand here the way the worker builds it.
  const oneOut = join(work, 'one');
  await mkdir(oneOut);
  const one = await timed(() => exec('ffmpeg', hlsCommand('software', { input: clip, outputDir: oneOut, probe, ladder }).args.filter((a, i, all) => a !== '-progress' && all[i - 1] !== '-progress')));

  // 3. One ffmpeg per rung, in sequence: decodes the source once per rung.
  const perRung = await timed(async () => {
    for (const rung of ladder.rungs) {
      const out = join(work, 'per', rung.name);
      await mkdir(out, { recursive: true });
      await exec('ffmpeg', [
        '-hide_banner', '-loglevel', 'error', '-y', '-i', clip, '-vf', `scale=${rung.width}:${rung.height}`, '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', String(rung.videoBitrate),
        '-maxrate', String(rung.maxrate), '-bufsize', String(rung.bufsize), '-g', String(rung.gopFrames), '-keyint_min', String(rung.gopFrames), '-sc_threshold', '0', '-pix_fmt', 'yuv420p',
        '-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-f', 'hls', '-hls_time', String(ladder.segmentSeconds), '-hls_playlist_type', 'vod', '-hls_segment_type', 'fmp4', join(out, 'index.m3u8'),
      ]);
    }
  });

  // 1. Nebula, with `npm start`: upload, then wait for ready; times from the event log.
  const stack = await startStack();
  let job: number;
  let firstPlayable: number;
  try {
    await tusUpload(stack.url, clip, statSync(clip).size, 'clip.mp4');
    const entry = (await (await fetch(`${stack.url}/api/files/lookup?path=/clip.mp4`)).json()) as EntryDto;
    for (;;) {
      const media = (await (await fetch(`${stack.url}/api/files/${entry.id}/media`)).json()) as MediaDetails;
      if (media.status === 'ready' || media.status === 'failed') {
        if (media.status === 'failed') throw new Error(`the job failed: ${media.error}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const events = (await (await fetch(`${stack.url}/api/events?subject=file:${entry.id}`)).json()) as NebulaEvent[];
    const at = (type: string) => Date.parse(events.find((e) => e.type === type)!.time);
    job = (at('media.ready') - at('upload.completed')) / 1000;
    firstPlayable = (at('media.playable') - at('upload.completed')) / 1000;
  } finally {
    await stack.stop();
    await rm(work, { recursive: true, force: true });
  }

  console.log(`\n${seconds} s ${size} clip → ${ladder.rungs.map((r) => r.name).join(' ')} (libx264 veryfast, fMP4 HLS)`);
  console.log(`nebula job (upload done → ready)      ${job.toFixed(1).padStart(6)} s   ratio ${(job / one).toFixed(2)}x the single command (target <= 1.05x)`);
  console.log(`nebula: upload done → first playable  ${firstPlayable.toFixed(1).padStart(6)} s   (target <= 8 s on 2 cores)`);
  console.log(`one ffmpeg command, whole ladder      ${one.toFixed(1).padStart(6)} s`);
  console.log(`one ffmpeg per rung, in sequence      ${perRung.toFixed(1).padStart(6)} s   ratio ${(perRung / one).toFixed(2)}x the single command`);
}

await main();
