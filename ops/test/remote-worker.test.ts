// A worker node on another machine, with the server on the fs driver: a real worker process in a
// network namespace of its own (veth pair, its own address), started in an empty folder with
// `--server <gateway> --token <token from nebula node token>` and nothing else. It learns the queue
// and the database from the join, and reads and writes objects only through the gateway.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntryDto, MediaDetails, NewNodeTokenDto } from '@nebula/contract';
import { byEvent, cliHome, runCli } from '../../cli/test/cli-process';
import { startNebula, type RunningNebula } from '../test-support/nebula-process';
import { NetnsMachine, whyNoNamespaces } from '../test-support/netns';
import { tempDir } from '../test-support/services';
import { tusUpload } from '../test-support/tus-upload';

const exec = promisify(execFile);
const worker = join(import.meta.dirname, '..', '..', 'worker', 'dist', 'main.js');

const skipReason = whyNoNamespaces();
if (skipReason) console.warn(`remote-worker.test.ts skipped: ${skipReason}`);

/** This process's environment without anything that names the server's services or folders. */
function bareEnvironment(): Record<string, string> {
  const kept = Object.entries(process.env).filter(([name, value]) => value !== undefined && !/^(NEBULA_|S3_|REDIS_|DATABASE_)/.test(name));
  return Object.fromEntries(kept) as Record<string, string>;
}

describe.skipIf(skipReason !== null)('a worker node joined with a token, the server on the fs driver (network namespace)', () => {
  const subnet = randomInt(0, 250);
  const machine = new NetnsMachine(`${randomBytes(2).toString('hex')}r`, `100.125.${subnet}.1`, `100.125.${subnet}.2`);
  let nebula: RunningNebula;
  let work: Awaited<ReturnType<typeof tempDir>>;
  let node: Awaited<ReturnType<typeof tempDir>>;
  let gatewayUrl: string;
  let made: NewNodeTokenDto;
  let child: ChildProcess | undefined;
  let cliFolder: string | undefined;
  let output = '';

  /** The worker as the node runs it, in its own empty folder: `node worker/dist/main.js --server ... --token ...`. */
  const spawnWorker = (token: string) => {
    const [program, args] = machine.command(process.execPath, ['--conditions=production', '--enable-source-maps', worker, '--server', gatewayUrl, '--token', token]);
    return spawn(program, args, {
      cwd: node.path,
      env: { ...bareEnvironment(), NEBULA_NODE_NAME: 'far', NEBULA_METRICS_PORT: '0', NEBULA_WORKER_HEARTBEAT_FILE: join(node.path, 'heartbeat'), NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  };

  beforeAll(async () => {
    [nebula, work, node] = await Promise.all([startNebula({ worker: false }), tempDir('nebula-remote-'), tempDir('nebula-remote-node-')]);
    await machine.create();
    // The server publishes the gateway, Redis and Postgres on the address the node reaches it by
    // (docker-compose.nodes.yml does this on the tailnet address): the join's rewritten URLs work.
    gatewayUrl = (await machine.reach(nebula.url, { samePort: true })).replace(/\/$/, '');
    await machine.reach(nebula.env.REDIS_URL!, { samePort: true });
    await machine.reach(nebula.env.DATABASE_URL!, { samePort: true });

    cliFolder = await cliHome();
    const cli = await runCli({ server: nebula.url, home: cliFolder }, ['node', 'token', '--name', 'far']);
    expect(cli.stderr).toBe('');
    made = cli.events.find(byEvent('node-token')) as unknown as NewNodeTokenDto & { command: string };
    expect(made.token).toMatch(/^nbt_/);
  }, 120_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await nebula?.stop();
    await machine.remove();
    await work?.remove();
    await node?.remove();
    if (cliFolder) await rm(cliFolder, { recursive: true, force: true });
  });

  it('refuses a wrong token at once, with one line', async () => {
    const refused = spawnWorker(`nbt_${'x'.repeat(43)}`);
    let stderr = '';
    refused.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => refused.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toBe(
      `nebula worker: refused to join ${gatewayUrl}: this server does not know that join token (it is wrong, or was revoked): make a new one with \`nebula node token\`\n`,
    );
  });

  it('transcodes a video through the gateway: the job is the node\u2019s, the HLS plays, and the node\u2019s disk holds no object', async () => {
    child = spawnWorker(made.token);
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));

    const clip = join(work.path, 'far.mp4');
    await exec('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip]);
    await tusUpload(nebula.url, clip, 'far.mp4');
    const file = (await (await fetch(`${nebula.url}/api/files/lookup?path=/far.mp4`)).json()) as EntryDto;

    const details = async () => (await (await fetch(`${nebula.url}/api/files/${file.id}/media`)).json()) as MediaDetails;
    await expect
      .poll(async () => {
        if (child!.exitCode !== null) throw new Error(`the node exited (${child!.exitCode}):\n${output}`);
        return (await details()).status;
      }, { timeout: 120_000, interval: 250, message: `never ready:\n${output}\n${nebula.output().slice(-3000)}` })
      .toBe('ready');

    expect(output).toContain(`joined ${gatewayUrl}, objects through its gateway`);
    const media = await details();
    expect(media.attempts.filter((a) => a.status === 'succeeded').map((a) => a.workerId!.split(':')[0])).toEqual(['far']);

    // Playable through the gateway: the master, a variant, and its segments as ffprobe reads them.
    const masterUrl = `${nebula.url}${media.hls}`;
    const master = await (await fetch(masterUrl)).text();
    expect(master).toContain('#EXT-X-STREAM-INF');
    const variant = master.split('\n').find((line) => line && !line.startsWith('#'))!;
    const { stdout } = await exec('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', new URL(variant, masterUrl).toString()]);
    expect(Math.abs(Number((JSON.parse(stdout) as { format: { duration: string } }).format.duration) - 2)).toBeLessThan(0.5);
    expect((await fetch(`${nebula.url}${media.poster}`)).status).toBe(200);

    // The node kept nothing: no objects folder, nothing but its heartbeat in its own folder.
    expect(readdirSync(node.path)).toEqual(['heartbeat']);
    // The token's last join is recorded under the node's name.
    const [token] = (await (await fetch(`${nebula.url}/api/nodes/tokens`)).json()) as NewNodeTokenDto[];
    expect(token).toMatchObject({ id: made.id, lastUsedBy: 'far' });
  }, 180_000);
});
