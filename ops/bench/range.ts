// Range streaming benchmark: 32 concurrent clients reading random 1 MiB ranges of one large file,
// through the Nebula gateway (npm start, fs driver) and through nginx serving the same file from
// disk with sendfile, in one run. Prints throughput, p99 latency and the ratio.
//
//   npx tsx ops/bench/range.ts            (BENCH_SIZE_MB=1024 BENCH_SECONDS=15 by default)
// Needs: wrk and nginx (apt-get install wrk nginx-light).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FolderListing } from '@nebula/shared';
import { freePort } from '../embedded/processes';
import { makeFile, MiB, startStack, tusUpload } from './stack';

const sizeMb = Number(process.env.BENCH_SIZE_MB ?? 1024);
const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const connections = 32;
const size = sizeMb * MiB;

interface WrkResult {
  mbPerSec: number;
  requestsPerSec: number;
  p99ms: number;
  errors: string;
}

function wrk(url: string): WrkResult {
  const out = execFileSync('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', join(import.meta.dirname, 'random-range.lua'), url, '--', String(size)], { encoding: 'utf8' });
  const transfer = /Transfer\/sec:\s+([\d.]+)(\w+)/.exec(out)!;
  const unit = { B: 1 / MiB, KB: 1 / 1024, MB: 1, GB: 1024 }[transfer[2]!] ?? 1;
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out)!;
  const ms = Number(p99[1]) * ({ us: 0.001, ms: 1, s: 1000 }[p99[2]!] ?? 1);
  return { mbPerSec: Number(transfer[1]) * unit, requestsPerSec: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]), p99ms: ms, errors: /Non-2xx.*|Socket errors.*/.exec(out)?.[0] ?? 'none' };
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'nebula-bench-range-'));
  const stack = await startStack();
  let nginx: ReturnType<typeof spawn> | undefined;
  try {
    const file = join(work, 'big.bin');
    await makeFile(file, size);
    await tusUpload(stack.url, file, size, 'big.bin');
    const listing = (await (await fetch(`${stack.url}/api/files?path=/`)).json()) as FolderListing;
    const id = listing.entries.find((e) => e.name === 'big.bin')!.id;
    // nginx reads the very same bytes on disk that the gateway streams (the fs driver's object).
    const object = join(stack.dataDir, 'objects', 'originals', id);
    const port = await freePort();
    const conf = join(work, 'nginx.conf');
    await writeFile(
      conf,
      `worker_processes auto; daemon off; pid ${work}/nginx.pid; error_log ${work}/error.log;
events { worker_connections 1024; }
http { access_log off; sendfile on; tcp_nopush on;
  server { listen 127.0.0.1:${port}; location = /big.bin { alias ${object}; } } }`,
    );
    nginx = spawn('nginx', ['-c', conf, '-p', work], { stdio: 'inherit' });
    await new Promise((r) => setTimeout(r, 500));

    // Warm the page cache once for both, so neither pays for the first read from disk.
    execFileSync('cat', [object], { stdio: 'ignore', maxBuffer: 1 });
    const gateway = wrk(`${stack.url}/api/files/${id}/content`);
    const baseline = wrk(`http://127.0.0.1:${port}/big.bin`);
    const row = (name: string, r: WrkResult) => `${name.padEnd(10)} ${r.mbPerSec.toFixed(0).padStart(7)} MB/s ${r.requestsPerSec.toFixed(0).padStart(7)} req/s   p99 ${r.p99ms.toFixed(1).padStart(7)} ms   errors: ${r.errors}`;
    console.log(`\nrandom 1 MiB ranges of a ${sizeMb} MiB file, ${connections} connections, ${seconds} s each (wrk)`);
    console.log(row('nebula', gateway));
    console.log(row('nginx', baseline));
    console.log(`ratio (nebula / nginx): throughput ${(gateway.mbPerSec / baseline.mbPerSec).toFixed(2)}x, p99 ${(gateway.p99ms / baseline.p99ms).toFixed(2)}x  (target: throughput >= 0.7x)`);
  } finally {
    nginx?.kill('SIGQUIT');
    await stack.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
