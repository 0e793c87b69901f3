// Worker nodes on other machines: three real worker processes, each in a network namespace of its
// own with its own address (veth pairs), sharing the gateway's queue, database and store. One of
// them is a test double for a GPU machine: NEBULA_TEST_ADVERTISE_HWACCEL makes it ADVERTISE VAAPI
// while it encodes in software (there is no GPU here). Another, the laptop, is a slow machine: its
// ffmpeg is a wrapper that waits 2 s first (a test double), so the job it is cut off in is still
// running when the link goes down (on a quiet machine a 2 s clip transcodes in under 1 s).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeKeys, type NodeAdvert, type EntryDto, type HealthReport, type MediaDetails } from '@nebula/contract';
import { waitFor } from '../embedded/processes';
import { startNebula, type RunningNebula } from '../test-support/nebula-process';
import { NetnsMachine, whyNoNamespaces } from '../test-support/netns';
import { tempDir } from '../test-support/services';
import { tusUpload as upload } from '../test-support/tus-upload';

const exec = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

const skipReason = whyNoNamespaces();
if (skipReason) console.warn(`worker-nodes.test.ts skipped: ${skipReason}`);

async function makeClip(path: string, size: string, seconds: number, rate = 30): Promise<string> {
  await exec('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', path,
  ]);
  return path;
}

const getJson = async <T>(url: string): Promise<T> => (await (await fetch(url)).json()) as T;

interface Node {
  name: string;
  machine: NetnsMachine;
  child?: ChildProcess;
}

describe.skipIf(skipReason !== null)('worker nodes on other machines (network namespaces, veth pairs)', () => {
  const tag = randomBytes(2).toString('hex');
  const subnet = randomInt(0, 200);
  let nebula: RunningNebula;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let output = '';
  const nodes: Record<'gpu' | 'desk' | 'laptop', Node> = {
    gpu: { name: 'gpu', machine: new NetnsMachine(`${tag}g`, `100.126.${subnet}.1`, `100.126.${subnet}.2`) },
    desk: { name: 'desk', machine: new NetnsMachine(`${tag}d`, `100.126.${subnet}.5`, `100.126.${subnet}.6`) },
    laptop: { name: 'laptop', machine: new NetnsMachine(`${tag}l`, `100.126.${subnet}.9`, `100.126.${subnet}.10`) },
  };

  const health = async () => {
    const report = await getJson<HealthReport>(`${nebula.url}/api/health`);
    if (!Array.isArray(report.nodes)) throw new Error(`/api/health lists no nodes: ${JSON.stringify(report)}\n${nebula.output().slice(-3000)}`);
    return report;
  };
  const advert = async (name: string): Promise<NodeAdvert | undefined> => (await health()).nodes.find((n) => n.name === name);

  const startNode = async (node: Node, env: Record<string, string> = {}) => {
    const [redisUrl, databaseUrl] = [await node.machine.reach(nebula.env.REDIS_URL!), await node.machine.reach(nebula.env.DATABASE_URL!)];
    const [program, args] = node.machine.command(process.execPath, ['--conditions=production', '--enable-source-maps', 'worker/dist/main.js']);
    node.child = spawn(program, args, {
      cwd: root,
      env: {
        ...process.env,
        ...nebula.env,
        REDIS_URL: redisUrl,
        DATABASE_URL: databaseUrl,
        NEBULA_NODE_NAME: node.name,
        NEBULA_METRICS_PORT: '0',
        NEBULA_WORKER_HEARTBEAT_FILE: join(dir.path, `${node.name}-heartbeat`),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    node.child.stdout!.on('data', (d: Buffer) => (output += `[${node.name}] ${d.toString()}`));
    node.child.stderr!.on('data', (d: Buffer) => (output += `[${node.name}] ${d.toString()}`));
    await waitFor(`node ${node.name} in /api/health`, async () => {
      if (node.child!.exitCode !== null) throw new Error(`node ${node.name} exited:\n${output}`);
      return (await advert(node.name)) !== undefined;
    }, 60_000, 250);
  };

  beforeAll(async () => {
    dir = await tempDir('nebula-nodes-');
    // A short lock: a vanished node's job is handed on within seconds.
    nebula = await startNebula({ worker: false, env: { NEBULA_JOB_LOCK_SECONDS: '4' } });
    for (const node of Object.values(nodes)) await node.machine.create();
    const slowFfmpeg = join(dir.path, 'slow-ffmpeg');
    writeFileSync(slowFfmpeg, '#!/bin/sh\nsleep 2\nexec ffmpeg "$@"\n', { mode: 0o755 });
    await Promise.all([startNode(nodes.gpu, { NEBULA_TEST_ADVERTISE_HWACCEL: 'vaapi' }), startNode(nodes.desk), startNode(nodes.laptop, { NEBULA_FFMPEG_PATH: slowFfmpeg })]);
  }, 180_000);

  afterAll(async () => {
    for (const node of Object.values(nodes)) node.child?.kill('SIGKILL');
    await nebula?.stop();
    for (const node of Object.values(nodes)) await node.machine.remove();
    await dir?.remove();
  });

  it('lists every node with its version, capabilities and heartbeat in /api/health', async () => {
    const listed = (await health()).nodes;
    expect(listed.map((n) => n.name)).toEqual(['desk', 'gpu', 'laptop']);
    const gpu = listed.find((n) => n.name === 'gpu')!;
    expect(gpu.capabilities.hardware).toEqual({ kind: 'vaapi', codecs: ['h264'], maxWidth: 4096, maxHeight: 4096, limitsFrom: 'assumed', simulated: true });
    expect(listed.find((n) => n.name === 'desk')!.capabilities).toMatchObject({ software: true, hardware: null });
    for (const node of listed) {
      expect(node.version).toBe('0.1.0');
      expect(node.id).toMatch(new RegExp(`^${node.name}:\\d+$`));
      expect(Date.now() - Date.parse(node.lastHeartbeat)).toBeLessThan(60_000);
    }
  });

  it('spreads jobs over the nodes, loses none when one is killed and one is cut off, and gives the 4K job to the GPU node', async () => {
    const clips = await Promise.all([
      makeClip(join(dir.path, 'a.mp4'), '640x360', 3),
      makeClip(join(dir.path, 'b.mp4'), '640x360', 3),
      makeClip(join(dir.path, 'c.mp4'), '640x360', 2),
      makeClip(join(dir.path, 'd.mp4'), '640x360', 2),
      // Five frames: 4K is what counts for placement, and a 4K ladder in software is slow.
      makeClip(join(dir.path, 'uhd.mp4'), '3840x2160', 1, 5),
    ]);
    for (const clip of clips) await upload(nebula.url, clip, clip.split('/').at(-1)!);
    const files = await Promise.all(clips.map(async (clip) => getJson<EntryDto>(`${nebula.url}/api/files/lookup?path=/${clip.split('/').at(-1)!}`)));

    // desk dies mid-job (SIGKILL, as a power cut); laptop loses its network mid-job.
    await expect.poll(async () => (await advert('desk'))?.jobs.length ?? 0, { timeout: 60_000, interval: 100 }).toBeGreaterThan(0);
    nodes.desk.child!.kill('SIGKILL');
    let cutJob: NodeAdvert['jobs'][number] | undefined;
    await waitFor('a job on laptop', async () => {
      cutJob = (await advert('laptop'))?.jobs[0];
      if (cutJob) await nodes.laptop.machine.cut();
      return cutJob !== undefined;
    }, 60_000, 100);

    // The cut-off node's job is taken over and finished elsewhere, while the node is still away.
    const details = (id: string) => getJson<MediaDetails>(`${nebula.url}/api/files/${id}/media`);
    await expect.poll(async () => (await details(cutJob!.fileId)).status, { timeout: 120_000, interval: 250 }).toBe('ready');
    await nodes.laptop.machine.reconnect();
    // Back on the network, the laptop finds its job gone and ends its stale run (before anything is checked).
    await expect.poll(async () => (await advert('laptop'))?.jobs.some((j) => j.jobId === cutJob!.jobId) ?? true, { timeout: 120_000, interval: 250 }).toBe(false);

    for (const file of files) {
      await expect.poll(async () => (await details(file.id)).status, { timeout: 180_000, interval: 250, message: `${file.name} never became ready:\n${output}` }).toBe('ready');
    }

    const all = await Promise.all(files.map((f) => details(f.id)));
    const winners = all.map((d) => d.attempts.filter((a) => a.status === 'succeeded').at(-1)!.workerId!.split(':')[0]);
    // The 4K job ran on the GPU node, whoever took it from the queue first.
    expect(winners.at(-1)).toBe('gpu');
    // Each node took jobs from the shared queue (desk and laptop before they were lost).
    expect(new Set(all.flatMap((d) => d.attempts.map((a) => a.workerId!.split(':')[0]))).size).toBe(3);
    // The dead node's and the cut-off node's attempts are closed as failed, not left running.
    const attempts = all.flatMap((d) => d.attempts);
    expect(attempts.filter((a) => a.status === 'running')).toEqual([]);
    expect(attempts.some((a) => a.workerId?.startsWith('desk:') && a.status === 'failed')).toBe(true);
    const lost = all[files.findIndex((f) => f.id === cutJob!.fileId)]!.attempts.find((a) => a.workerId?.startsWith('laptop:'))!;
    expect(lost.status).toBe('failed');

    // Only the run the master points at is left in storage: no stale run of the cut-off node.
    await expect.poll(() => {
      const runs = files.map((f) => {
        const folder = join(nebula.dataDir, 'objects', 'hls', f.id);
        // A run is a folder; the master playlist and the seek previews' storyboard.vtt sit beside them.
        const stored = (readdirSync(folder, { recursive: true }) as string[]).filter((p) => statSync(join(folder, p)).isFile() && p.includes('/'));
        return new Set(stored.map((p) => p.split('/')[0]));
      });
      return runs.every((r) => r.size === 1);
    }, { timeout: 60_000, interval: 500, message: 'a stale run was left in storage' }).toBe(true);

    // The cut-off node came back and works on: it still heartbeats and holds no stale job.
    await expect.poll(async () => (await advert('laptop'))?.jobs ?? null, { timeout: 60_000, interval: 250 }).toEqual([]);
    expect(output).toMatch(/\[laptop\].*lost the (lock|job)/);
  }, 400_000);

  it('refuses a node of another version with one clear line', async () => {
    const redis = new Redis(nebula.env.REDIS_URL!);
    try {
      await redis.set(nodeKeys.gateway, JSON.stringify({ version: '9.9.9' }));
      const child = spawn(process.execPath, ['--conditions=production', 'worker/dist/main.js'], {
        cwd: root,
        env: { ...process.env, ...nebula.env, NEBULA_NODE_NAME: 'old', NEBULA_METRICS_PORT: '0', NEBULA_WORKER_HEARTBEAT_FILE: join(dir.path, 'old-heartbeat') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(stderr.trim()).toBe(
        'nebula worker: refused to join: this worker is version 0.1.0 but the server runs 9.9.9: install the same release on this machine (git pull, npm ci) and start it again',
      );
    } finally {
      await redis.set(nodeKeys.gateway, JSON.stringify({ version: '0.1.0' }));
      redis.disconnect();
    }
  });
});
