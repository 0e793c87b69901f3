// A ladder of N videos on 1 worker node vs 2 worker nodes: the wall time from the first upload to
// the last video `ready`, side by side. One `npm start` stack; the second node is a second worker
// process on the same queue, database and store (as a node on another machine would be).
//
//   npx tsx ops/bench/nodes.ts   (BENCH_VIDEOS=4 BENCH_SECONDS=6 BENCH_SIZE=1280x720 by default)
//
// On one machine the two nodes share its cores: the figure shows what a second node adds when
// the first leaves cores idle (ffmpeg's single-threaded parts, probing, publishing), not what a
// second machine would add (for that, run the second worker elsewhere: README, "Adding a machine").
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type EntryDto, type MediaDetails } from '@nebula/contract';
import type { StackFile } from '../embedded/supervisor';
import { root, startStack, tusUpload } from './stack';

const exec = promisify(execFile);
const videos = Number(process.env.BENCH_VIDEOS ?? 4);
const seconds = Number(process.env.BENCH_SECONDS ?? 6);
const size = process.env.BENCH_SIZE ?? '1280x720';

async function ladder(url: string, label: string, clip: string): Promise<number> {
  const started = Date.now();
  const names = Array.from({ length: videos }, (_, i) => `${label}-${i}.mp4`);
  for (const name of names) await tusUpload(url, clip, Number((await exec('stat', ['-c', '%s', clip])).stdout), name);
  const ids = await Promise.all(names.map(async (name) => ((await (await fetch(`${url}/api/files/lookup?path=/${name}`)).json()) as EntryDto).id));
  for (const id of ids) {
    for (;;) {
      const media = (await (await fetch(`${url}/api/files/${id}/media`)).json()) as MediaDetails;
      if (media.status === 'ready') break;
      if (media.status === 'failed') throw new Error(`${id} failed: ${media.error}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return (Date.now() - started) / 1000;
}

const stack = await startStack('fs');
const second = { child: undefined as ReturnType<typeof spawn> | undefined };
try {
  const clip = join(stack.dataDir, 'bench-clip.mp4');
  await exec('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30:duration=${seconds}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip]);
  const load = loadavg()[0]!.toFixed(1);

  const one = await ladder(stack.url, 'one', clip);

  // The second node: the same worker, pointed at the stack's Redis and Postgres.
  const file = JSON.parse(readFileSync(join(stack.dataDir, 'run', 'stack.json'), 'utf8')) as StackFile;
  const secrets = JSON.parse(readFileSync(join(stack.dataDir, 'embedded-secrets.json'), 'utf8')) as { postgresPassword: string };
  second.child = spawn(process.execPath, ['--conditions=production', 'worker/dist/main.js'], {
    cwd: root,
    env: {
      ...process.env,
      NEBULA_DATA_DIR: stack.dataDir,
      NEBULA_STORAGE_DRIVER: 'fs',
      DATABASE_URL: `postgres://nebula:${encodeURIComponent(secrets.postgresPassword)}@127.0.0.1:${file.postgres.port}/nebula`,
      REDIS_URL: `redis://127.0.0.1:${file.redis.port}`,
      NEBULA_NODE_NAME: 'second',
      NEBULA_METRICS_PORT: '0',
      NEBULA_WORKER_HEARTBEAT_FILE: join(stack.dataDir, 'second-heartbeat'),
    },
    stdio: 'ignore',
  });
  let exited = '';
  second.child.on('exit', (code) => (exited = `the second worker exited (${code}) before joining`));
  for (;;) {
    if (exited) throw new Error(exited);
    const health = (await (await fetch(`${stack.url}/api/health`)).json()) as { nodes?: { name: string }[] };
    if (health.nodes?.some((n) => n.name === 'second')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const two = await ladder(stack.url, 'two', clip);

  console.log(`${videos} videos of ${seconds} s ${size} → HLS ladder, fs driver, ${availableParallelism()} cores, load ${load} at the start`);
  console.log(`1 node : ${one.toFixed(1)} s`);
  console.log(`2 nodes: ${two.toFixed(1)} s  (${(one / two).toFixed(2)}x)`);
} finally {
  second.child?.kill('SIGTERM');
  await stack.stop();
}
