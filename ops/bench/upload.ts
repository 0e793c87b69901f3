// Upload benchmark: one large file (2 GiB by default) sent with `nebula upload` to the embedded
// stack (npm start), and the same file copied by rclone into the same kind of store, in one run:
// - BENCH_DRIVER=fs (default): the fs driver; rclone copies into a folder on the same disk.
// - BENCH_DRIVER=s3: the s3 driver against a Ceph RGW started for the run; rclone copies into the
//   same RGW (its s3 backend, path-style). RGW keeps objects in RAM: see BENCH_RGW_MEMORY_MB in stack.ts.
// Prints both throughputs, their ratio (medians of BENCH_ROUNDS=2 rounds, which side goes first
// alternating) and the gateway's peak resident memory, which must not grow with the file; on fs,
// also rclone's copy with the sync that puts its bytes on the disk (Nebula's are when it answers);
// and the CPU time each side used, with how busy the machine's cores were meanwhile.
//
//   npx tsx ops/bench/upload.ts                    (BENCH_SIZE_MB=2048 by default)
//   BENCH_DRIVER=s3 npx tsx ops/bench/upload.ts
// Needs: rclone (apt-get install rclone); for s3, radosgw ceph-mon ceph-osd ceph-common.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchDriver, makeFile, median, MiB, peakRssMb, rcloneS3Env, root, startStack } from './stack';

const sizeMb = Number(process.env.BENCH_SIZE_MB ?? 2048);
const size = sizeMb * MiB;
/** Rounds of both sides, which goes first alternating; the figures printed are their medians. */
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2));

function timed(run: () => void): number {
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Clock ticks per second of /proc's CPU times. */
const ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100;
/** A process's CPU seconds (user + system; its own, or its children's once they ended) from /proc/<pid>/stat. */
function cpuSeconds(pid: number | 'self', whose: 'own' | 'children'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // from the third field on
  const [user, system] = whose === 'own' ? [fields[11], fields[12]] : [fields[13], fields[14]];
  return (Number(user) + Number(system)) / ticks;
}
/** The machine's CPU seconds, busy and in all, over every core, from /proc/stat. */
function machineCpu(): { busy: number; all: number } {
  const times = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = times[3]! + times[4]!; // idle, iowait
  const all = times.slice(0, 8).reduce((sum, t) => sum + t, 0); // up to steal; guest time is in user already
  return { busy: (all - idle) / ticks, all: all / ticks };
}

/** CPU used during one side's run: by the command (and, for Nebula, the gateway), and how busy the whole machine was. */
interface CpuUse {
  command: number;
  gateway: number;
  machineBusy: number;
}

/** timed(run), adding to `used` the CPU its run took (the command's, and with `gatewayPid` the gateway's). */
function withCpu(used: CpuUse[], run: () => void, gatewayPid?: number): number {
  const [command, gateway, machine] = [cpuSeconds('self', 'children'), gatewayPid ? cpuSeconds(gatewayPid, 'own') : 0, machineCpu()];
  const seconds = timed(run);
  const after = machineCpu();
  used.push({
    command: cpuSeconds('self', 'children') - command,
    gateway: gatewayPid ? cpuSeconds(gatewayPid, 'own') - gateway : 0,
    machineBusy: (after.busy - machine.busy) / (after.all - machine.all),
  });
  return seconds;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'nebula-bench-upload-'));
  const driver = benchDriver();
  const stack = await startStack(driver, size * rounds);
  try {
    // A file of its own for every round: the same bytes again would be a duplicate, which the gateway
    // hashes whole at the end to dedup it.
    const files: string[] = [];
    for (let round = 0; round < rounds; round++) {
      files.push(join(work, `big-${round}.bin`));
      await makeFile(files[round]!, size);
    }
    const rssBefore = await peakRssMb(stack.gatewayPid());

    const nebulaCpu: CpuUse[] = [];
    const rcloneCpu: CpuUse[] = [];
    const upload = (round: number) =>
      withCpu(
        nebulaCpu,
        () =>
          execFileSync(process.execPath, [join(root, 'cli/bin/nebula.js'), 'upload', files[round]!, '--to', `/bench-${round}`, '--json'], {
            env: { ...process.env, NEBULA_SERVER: stack.url, XDG_CONFIG_HOME: work, XDG_STATE_HOME: work },
            stdio: ['ignore', 'ignore', 'inherit'],
          }),
        stack.gatewayPid(),
      );
    // rclone's own hash check is on by default for local copies, as Nebula's sha256 check is.
    // (env -u AWS_CA_BUNDLE: Debian's rclone fails to start with it set, see ../shared/TOOLCHAIN.md.)
    const copy = (round: number) =>
      stack.s3
        ? withCpu(rcloneCpu, () => execFileSync('rclone', ['copy', files[round]!, `benchrgw:${stack.s3!.bucket}/rclone-${round}`], { env: rcloneS3Env(stack.s3!), stdio: 'inherit' }))
        : withCpu(rcloneCpu, () => execFileSync('env', ['-u', 'AWS_CA_BUNDLE', 'rclone', 'copy', files[round]!, join(work, `rclone-store-${round}`), '--local-no-check-updated'], { stdio: 'inherit' }));
    // Each side starts with no dirty pages left by the one before (the kernel writes them back
    // about 30 s later, during whichever ran next) and its file just read into the page cache;
    // rounds alternate which side goes first.
    const sides = (round: number, run: (round: number) => number) => {
      execFileSync('sync');
      execFileSync('cat', [files[round]!], { stdio: 'ignore' });
      return run(round);
    };
    // rclone's copy into a folder stays in the page cache (Nebula's fs uploads do not: O_DIRECT).
    // Kept, they and the rounds' files filled it (16 GiB by the third of four rounds), and rclone's
    // next copies took 6-9 s instead of 4-4.5 s, a third of the machine's time then in the kernel;
    // so each goes once it is timed.
    //
    // On fs, Nebula answers an upload's last PATCH once its bytes are on the disk (it flushes them as
    // they come); rclone's copy ends with them in the page cache. So the sync after it is timed too,
    // before the copy goes, and printed beside: the time until rclone's bytes are on the disk as well.
    // The goal stays the ratio to the copy alone.
    const synced: number[] = [];
    const copied = (round: number) => {
      const seconds = copy(round);
      if (!stack.s3) {
        synced.push(seconds + timed(() => execFileSync('sync')));
        rmSync(join(work, `rclone-store-${round}`), { recursive: true, force: true });
      }
      return seconds;
    };
    const nebula: number[] = [];
    const rclone: number[] = [];
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        nebula.push(sides(round, upload));
        rclone.push(sides(round, copied));
      } else {
        rclone.push(sides(round, copied));
        nebula.push(sides(round, upload));
      }
    }
    const rss = await peakRssMb(stack.gatewayPid());

    const mbps = (s: number) => (sizeMb / s).toFixed(0).padStart(6);
    const list = (values: number[]) => values.map((v) => v.toFixed(1)).join(', ');
    const ratios = nebula.map((seconds, round) => rclone[round]! / seconds);
    console.log(`\none ${sizeMb} MiB file, ${driver} driver${stack.s3 ? ` (Ceph RGW at ${stack.s3.endpoint})` : ''}, ${rounds} round(s), medians`);
    console.log(`nebula upload  ${mbps(median(nebula))} MB/s  (${median(nebula).toFixed(1)} s) [${list(nebula)}]`);
    console.log(`rclone copy    ${mbps(median(rclone))} MB/s  (${median(rclone).toFixed(1)} s) [${list(rclone)}]`);
    console.log(`ratio (nebula / rclone): ${median(ratios).toFixed(2)}x [${ratios.map((r) => r.toFixed(2)).join(', ')}]  (target >= 0.9x)`);
    if (synced.length) {
      const durable = nebula.map((seconds, round) => synced[round]! / seconds);
      console.log(`rclone copy, then sync (its bytes on the disk, as Nebula's are when it answers): ${mbps(median(synced)).trim()} MB/s (${median(synced).toFixed(1)} s) [${list(synced)}]; nebula / that ${median(durable).toFixed(2)}x [${durable.map((r) => r.toFixed(2)).join(', ')}]`);
    }
    console.log(`gateway peak RSS: ${rss.toFixed(0)} MB (${rssBefore.toFixed(0)} MB before the upload; target <= 200 MB)`);
    // Where both sides keep every core busy, the ratio is that of the CPU each needs.
    const cpuOf = (used: CpuUse[]) => median(used.map((u) => u.command + u.gateway)).toFixed(1);
    const busy = (used: CpuUse[]) => `${(100 * median(used.map((u) => u.machineBusy))).toFixed(0)}%`;
    console.log(
      `CPU seconds: nebula ${cpuOf(nebulaCpu)} (CLI ${median(nebulaCpu.map((u) => u.command)).toFixed(1)} + gateway ${median(nebulaCpu.map((u) => u.gateway)).toFixed(1)}), ` +
        `rclone ${cpuOf(rcloneCpu)}${stack.s3 ? ' (not counting the S3 server, which both use)' : ''}; ` +
        `the machine's ${cpus().length} cores busy ${busy(nebulaCpu)} and ${busy(rcloneCpu)} of the time meanwhile`,
    );
  } finally {
    await stack.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
