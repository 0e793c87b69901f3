// Upload benchmark: one large file (2 GiB by default) sent with `nebula upload` to the embedded
// stack (npm start), and the same file copied by rclone into the same kind of store, in one run:
// - BENCH_DRIVER=fs (default): the fs driver; rclone copies into a folder on the same disk.
// - BENCH_DRIVER=s3: the s3 driver against a Ceph RGW started for the run; rclone copies into the
//   same RGW (its s3 backend, path-style). RGW keeps objects in RAM: see BENCH_RGW_MEMORY_MB in stack.ts.
// Prints both throughputs, their ratio and the gateway's peak resident memory, which must not grow
// with the file.
//
//   npx tsx ops/bench/upload.ts                    (BENCH_SIZE_MB=2048 by default)
//   BENCH_DRIVER=s3 npx tsx ops/bench/upload.ts
// Needs: rclone (apt-get install rclone); for s3, radosgw ceph-mon ceph-osd ceph-common.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchDriver, makeFile, MiB, peakRssMb, rcloneS3Env, root, startStack } from './stack';

const sizeMb = Number(process.env.BENCH_SIZE_MB ?? 2048);
const size = sizeMb * MiB;

function timed(run: () => void): number {
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'nebula-bench-upload-'));
  const driver = benchDriver();
  const stack = await startStack(driver, size);
  try {
    const file = join(work, 'big.bin');
    await makeFile(file, size);
    execFileSync('cat', [file], { stdio: 'ignore' }); // both start from a warm page cache
    const rssBefore = await peakRssMb(stack.gatewayPid());

    const nebula = timed(() =>
      execFileSync(process.execPath, [join(root, 'cli/bin/nebula.js'), 'upload', file, '--to', '/bench', '--json'], {
        env: { ...process.env, NEBULA_SERVER: stack.url, XDG_CONFIG_HOME: work, XDG_STATE_HOME: work },
        stdio: ['ignore', 'ignore', 'inherit'],
      }),
    );
    const rss = await peakRssMb(stack.gatewayPid());
    // rclone's own hash check is on by default for local copies, as Nebula's sha256 check is.
    // (env -u AWS_CA_BUNDLE: Debian's rclone fails to start with it set, see ../shared/TOOLCHAIN.md.)
    const rclone = stack.s3
      ? timed(() => execFileSync('rclone', ['copy', file, `benchrgw:${stack.s3!.bucket}/rclone`], { env: rcloneS3Env(stack.s3!), stdio: 'inherit' }))
      : timed(() => execFileSync('env', ['-u', 'AWS_CA_BUNDLE', 'rclone', 'copy', file, join(work, 'rclone-store'), '--local-no-check-updated'], { stdio: 'inherit' }));

    const mbps = (s: number) => (sizeMb / s).toFixed(0).padStart(6);
    console.log(`\none ${sizeMb} MiB file, ${driver} driver${stack.s3 ? ` (Ceph RGW at ${stack.s3.endpoint})` : ''}`);
    console.log(`nebula upload  ${mbps(nebula)} MB/s  (${nebula.toFixed(1)} s)`);
    console.log(`rclone copy    ${mbps(rclone)} MB/s  (${rclone.toFixed(1)} s)`);
    console.log(`ratio (nebula / rclone): ${(rclone / nebula).toFixed(2)}x  (target >= 0.9x)`);
    console.log(`gateway peak RSS: ${rss.toFixed(0)} MB (${rssBefore.toFixed(0)} MB before the upload; target <= 200 MB)`);
  } finally {
    await stack.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
