// Upload benchmark: one large file (2 GiB by default) sent with `nebula upload` to the embedded
// stack (npm start, fs driver), and the same file copied by rclone into the same kind of store (a
// folder on the same disk), in one run. Prints both throughputs, their ratio and the gateway's
// peak resident memory, which must not grow with the file.
//
//   npx tsx ops/bench/upload.ts            (BENCH_SIZE_MB=2048 by default)
// Needs: rclone (apt-get install rclone).
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFile, MiB, peakRssMb, root, startStack } from './stack';

const sizeMb = Number(process.env.BENCH_SIZE_MB ?? 2048);
const size = sizeMb * MiB;

function timed(run: () => void): number {
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'nebula-bench-upload-'));
  const stack = await startStack();
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
    const rclone = timed(() => execFileSync('env', ['-u', 'AWS_CA_BUNDLE', 'rclone', 'copy', file, join(work, 'rclone-store'), '--local-no-check-updated'], { stdio: 'inherit' }));

    const mbps = (s: number) => (sizeMb / s).toFixed(0).padStart(6);
    console.log(`\none ${sizeMb} MiB file`);
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
