// Range streaming benchmark: 32 concurrent clients reading random 1 MiB ranges of one large file
// through the Nebula gateway (npm start), and the same ranges from the store directly, in one run:
// - BENCH_DRIVER=fs (default): the baseline is nginx serving the very same file from disk (sendfile).
// - BENCH_DRIVER=s3: the gateway on a Ceph RGW started for the run; the baseline is RGW's own
//   ranged GETs of the same object (a presigned URL, so wrk needs no signing), same client, same ranges.
//   The gateway answers from its read cache (NEBULA_READ_CACHE_SIZE, default 8G): the file is read
//   twice first, as a player's first two ranges would, and the bench waits for the copy, saying how
//   long it took. NEBULA_READ_CACHE_SIZE=0 measures every read proxied to RGW instead.
// Prints throughput, p99 latency, the ratios (median of BENCH_ROUNDS=2 pairs, which side goes first
// alternating) and the gateway's peak resident memory. Each round also measures a bare Node server
// on the same bytes (bare-range-server.mjs; BENCH_BARE=0 skips it): the ceiling of one Node event
// loop that copies the bytes, so the ratios say how much of the gap is Nebula's and how much Node's
// (on fs the gateway sends with sendfile and copies nothing). Then many
// readers at once (BENCH_READERS=50 connections for BENCH_READERS_SECONDS=20 s) on the gateway
// alone: every answer must be a 206, and the gateway's peak RSS stay under 250 MB.
//
//   npx tsx ops/bench/range.ts                     (BENCH_SIZE_MB=1024 BENCH_SECONDS=15 by default)
//   BENCH_DRIVER=s3 npx tsx ops/bench/range.ts
// Needs: wrk and nginx (apt-get install wrk nginx-light); for s3, radosgw ceph-mon ceph-osd ceph-common.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FolderListing } from '@nebula/contract';
import { freePort } from '../embedded/processes';
import { benchDriver, makeFile, median, MiB, peakRssMb, resetPeakRss, startStack, tusUpload } from './stack';

const sizeMb = Number(process.env.BENCH_SIZE_MB ?? 1024);
const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const connections = 32;
const readers = Number(process.env.BENCH_READERS ?? 50);
const readersSeconds = Number(process.env.BENCH_READERS_SECONDS ?? 20);
/** Pairs of runs, the first side alternating; the ratio printed is their median. */
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const withBare = process.env.BENCH_BARE !== '0';
const size = sizeMb * MiB;

/**
 * Every server measured runs in a session of its own, as the gateway does (npm start's supervisor
 * starts it detached) and as a daemon would. Linux's scheduler shares the CPU between sessions
 * first (autogroup, on by default), so a server in wrk's session competes with wrk on other terms
 * than one in a session of its own. Measured here, the same bare Node server had a p99 of 31–34 ms
 * in wrk's session and 52–53 ms in its own: that, not Nebula's code, was most of the p99 gap to an
 * nginx started in wrk's session (1.6–2.1x over stops 31 to 33).
 */
const OWN_SESSION = { detached: true } as const;
// Out of the terminal's process group, they miss its Ctrl-C: each stops when its stdin (a pipe from
// this process) closes, which also happens when this process is killed.

interface WrkResult {
  mbPerSec: number;
  requestsPerSec: number;
  p99ms: number;
  errors: string;
}

function wrk(url: string, clients = connections, duration = seconds): WrkResult {
  // --timeout 10s: wrk's default of 2 s counts a slow answer as a socket error, and on a shared
  // machine the baseline gets those too; p99 shows how slow answers were.
  const out = execFileSync('wrk', ['-t2', `-c${clients}`, `-d${duration}s`, '--timeout', '10s', '--latency', '-s', join(import.meta.dirname, 'random-range.lua'), url, '--', String(size)], { encoding: 'utf8' });
  const transfer = /Transfer\/sec:\s+([\d.]+)(\w+)/.exec(out)!;
  const unit = { B: 1 / MiB, KB: 1 / 1024, MB: 1, GB: 1024 }[transfer[2]!] ?? 1;
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out)!;
  const ms = Number(p99[1]) * ({ us: 0.001, ms: 1, s: 1000 }[p99[2]!] ?? 1);
  return { mbPerSec: Number(transfer[1]) * unit, requestsPerSec: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]), p99ms: ms, errors: /Non-2xx.*|Socket errors.*/.exec(out)?.[0] ?? 'none' };
}

/** Whether the gateway keeps a read cache (the s3 driver's), as NEBULA_READ_CACHE_SIZE says. */
function readCacheOn(): boolean {
  return !/^(0|off)$/i.test(process.env.NEBULA_READ_CACHE_SIZE?.trim() ?? '');
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'nebula-bench-range-'));
  const driver = benchDriver();
  const stack = await startStack(driver, size);
  let nginx: ReturnType<typeof spawn> | undefined;
  let bare: ReturnType<typeof spawn> | undefined;
  try {
    const file = join(work, 'big.bin');
    await makeFile(file, size);
    await tusUpload(stack.url, file, size, 'big.bin');
    const listing = (await (await fetch(`${stack.url}/api/files?path=/`)).json()) as FolderListing;
    const id = listing.entries.find((e) => e.name === 'big.bin')!.id;
    let baselineUrl: string;
    let baselineName: string;
    /** What the bare Node server serves: the same file, or the same object by the same presigned URL. */
    let bareTarget: string;
    if (stack.s3 && readCacheOn()) {
      const started = Date.now();
      for (let read = 0; read < 2; read++) await (await fetch(`${stack.url}/api/files/${id}/content`, { headers: { range: 'bytes=0-0' } })).arrayBuffer();
      while (!stack.output().includes(`kept a copy of "originals/${id}"`)) {
        if (Date.now() - started > 300_000 || /no copy of "originals/.test(stack.output())) throw new Error(`the gateway kept no copy of the file:\n${stack.output().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      console.log(`read cache: the gateway's copy of the ${sizeMb} MiB file was made in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    if (stack.s3) {
      // The gateway's object itself, read straight from RGW: a presigned URL signs only the host, so
      // the Range header wrk adds is allowed.
      baselineUrl = await stack.s3.client.presignedGetObject(stack.s3.bucket, `originals/${id}`, 3600);
      baselineName = 'rgw';
      bareTarget = baselineUrl;
    } else {
      // nginx reads the very same bytes on disk that the gateway streams (the fs driver's object).
      const object = join(stack.dataDir, 'objects', 'originals', id);
      bareTarget = object;
      const port = await freePort();
      const conf = join(work, 'nginx.conf');
      await writeFile(
        conf,
        `worker_processes auto; daemon off; pid ${work}/nginx.pid; error_log ${work}/error.log;
events { worker_connections 1024; }
http { access_log off; sendfile on; tcp_nopush on;
  server { listen 127.0.0.1:${port}; location = /big.bin { alias ${object}; } } }`,
      );
      // Through a shell that stops it when its stdin closes: when this process ends, whatever the
      // way (tsx answers Ctrl-C during wrk with SIGKILL), as a server in another session would not.
      nginx = spawn('sh', ['-c', 'nginx -c "$1" -p "$2" & read -r _; kill -QUIT $!; wait', 'sh', conf, work], { stdio: ['pipe', 'inherit', 'inherit'], ...OWN_SESSION });
      await new Promise((r) => setTimeout(r, 500));
      // Warm the page cache once for both, so neither pays for the first read from disk.
      execFileSync('cat', [object], { stdio: 'ignore', maxBuffer: 1 });
      baselineUrl = `http://127.0.0.1:${port}/big.bin`;
      baselineName = 'nginx';
    }

    let bareUrl: string | undefined;
    if (withBare) {
      const port = await freePort();
      bare = spawn(process.execPath, [join(import.meta.dirname, 'bare-range-server.mjs'), stack.s3 ? 's3' : 'fs', bareTarget, String(port)], { stdio: ['pipe', 'pipe', 'inherit'], ...OWN_SESSION });
      await new Promise<void>((resolve, reject) => {
        bare!.stdout!.once('data', () => resolve());
        bare!.once('exit', (code) => reject(new Error(`the bare Node server exited (${code})`)));
      });
      bareUrl = `http://127.0.0.1:${port}/big.bin`;
    }

    // The upload left up to the file's size in dirty pages, which the kernel writes back about 30 s
    // later: during whichever side ran first. Written out now, so neither side reads beside it.
    execFileSync('sync');
    // The peaks below are the reads' own, not the upload's before them.
    const rssBefore = await resetPeakRss(stack.gatewayPid()).then(() => peakRssMb(stack.gatewayPid()));
    // Rounds alternate which side goes first (AB, BA, ...), so a drift in the machine falls on both.
    const pairs: { gateway: WrkResult; baseline: WrkResult; bare?: WrkResult }[] = [];
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        const gateway = wrk(`${stack.url}/api/files/${id}/content`);
        pairs.push({ gateway, baseline: wrk(baselineUrl), ...(bareUrl ? { bare: wrk(bareUrl) } : {}) });
      } else {
        const bareResult = bareUrl ? wrk(bareUrl) : undefined;
        const baseline = wrk(baselineUrl);
        pairs.push({ gateway: wrk(`${stack.url}/api/files/${id}/content`), baseline, ...(bareResult ? { bare: bareResult } : {}) });
      }
    }
    const rss = await peakRssMb(stack.gatewayPid());
    const row = (name: string, r: WrkResult) => `${name.padEnd(10)} ${r.mbPerSec.toFixed(0).padStart(7)} MB/s ${r.requestsPerSec.toFixed(0).padStart(7)} req/s   p99 ${r.p99ms.toFixed(1).padStart(7)} ms   errors: ${r.errors}`;
    console.log(`\nrandom 1 MiB ranges of a ${sizeMb} MiB file, ${driver} driver${stack.s3 ? (readCacheOn() ? ', the gateway reading its local copy (read cache)' : ', every read proxied to RGW (NEBULA_READ_CACHE_SIZE=0)') : ''}, ${connections} connections, ${seconds} s each (wrk), ${rounds} round(s)`);
    const throughputs: number[] = [];
    const p99s: number[] = [];
    const ofBare: number[] = [];
    const bareOfBaseline: number[] = [];
    const p99OfBare: number[] = [];
    const bareP99OfBaseline: number[] = [];
    pairs.forEach(({ gateway, baseline, bare: bareResult }, round) => {
      throughputs.push(gateway.mbPerSec / baseline.mbPerSec);
      p99s.push(gateway.p99ms / baseline.p99ms);
      console.log(`round ${round + 1}${round % 2 === 0 ? ' (nebula first)' : ` (${bareResult ? 'bare node, then ' : ''}${baselineName} first)`}`);
      console.log(row('nebula', gateway));
      console.log(row(baselineName, baseline));
      if (bareResult) {
        console.log(row('bare node', bareResult));
        ofBare.push(gateway.mbPerSec / bareResult.mbPerSec);
        bareOfBaseline.push(bareResult.mbPerSec / baseline.mbPerSec);
        p99OfBare.push(gateway.p99ms / bareResult.p99ms);
        bareP99OfBaseline.push(bareResult.p99ms / baseline.p99ms);
      }
    });
    const list = (values: number[]) => values.map((v) => v.toFixed(2)).join(', ');
    console.log(`ratio (nebula / ${baselineName}), median of ${rounds}: throughput ${median(throughputs).toFixed(2)}x [${list(throughputs)}], p99 ${median(p99s).toFixed(2)}x [${list(p99s)}]  (target: ${stack.s3 ? 'throughput >= 0.8x' : 'throughput >= 0.7x, p99 <= 1.5x'})`);
    if (ofBare.length) {
      const bareIs = stack.s3 ? 'a bare Node proxy: what proxying each read reaches here' : 'the most one Node event loop copying the bytes did here';
      console.log(`throughput nebula / bare node ${median(ofBare).toFixed(2)}x [${list(ofBare)}]; bare node / ${baselineName} ${median(bareOfBaseline).toFixed(2)}x [${list(bareOfBaseline)}] (${bareIs})`);
      console.log(`p99 nebula / bare node ${median(p99OfBare).toFixed(2)}x [${list(p99OfBare)}]; bare node / ${baselineName} ${median(bareP99OfBaseline).toFixed(2)}x [${list(bareP99OfBaseline)}]`);
    }
    console.log(`gateway peak RSS: ${rss.toFixed(0)} MB (${rssBefore.toFixed(0)} MB before the reads)`);
    if (readers > 0) {
      await resetPeakRss(stack.gatewayPid());
      const many = wrk(`${stack.url}/api/files/${id}/content`, readers, readersSeconds);
      const manyRss = await peakRssMb(stack.gatewayPid());
      console.log(`\n${readers} concurrent readers for ${readersSeconds} s on the gateway (target: 0 errors, RSS <= 250 MB)`);
      console.log(row('nebula', many));
      console.log(`gateway peak RSS: ${manyRss.toFixed(0)} MB`);
    }
  } finally {
    // Both stop when their stdin closes (and so they do if this process is killed).
    nginx?.stdin?.end();
    bare?.stdin?.end();
    await stack.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
