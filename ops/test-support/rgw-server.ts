import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, run, waitFor, waitForExit } from '../embedded/processes';
import { processRuns } from '@nebula/shared/runtime';
import { startWatchdog } from './watchdog';

/**
 * A real S3 server for tests and benchmarks: Ceph's RADOS Gateway (RGW) from Debian's packages
 * (`radosgw ceph-mon ceph-osd ceph-common`), as a one-node cluster on 127.0.0.1: one monitor, one
 * OSD that keeps objects in RAM (memstore), and radosgw. Every file (config, keys, logs, the
 * monitor's store) lives in one temp folder, removed at stop; the daemons are stopped by pid.
 */
export interface RgwOptions {
  /** Upper bound of the OSD's RAM for objects (memstore device bytes); only what is stored is used. */
  memoryBytes?: number;
}

export interface RunningRgw {
  /** Path-style S3 endpoint, e.g. http://127.0.0.1:17480 */
  endpoint: string;
  region: 'us-east-1';
  accessKey: string;
  secretKey: string;
  /** The daemons' pids: monitor, OSD, radosgw. */
  pids: number[];
  /** The cluster's ceph.conf, for radosgw-admin (createRgwUser) from another process. */
  conf: string;
  /** Another S3 user, with limits if asked. */
  createUser(uid: string, options?: RgwUserOptions): Promise<{ accessKey: string; secretKey: string }>;
  stop(): Promise<void>;
}

export const RGW_REGION = 'us-east-1';
const GiB = 1024 ** 3;

export interface RgwConfigInput {
  dir: string;
  fsid: string;
  monPort: number;
  rgwPort: number;
  memoryBytes: number;
}

/**
 * ceph.conf for the one-node cluster. Each setting below was needed on this kind of machine
 * (see TOOLCHAIN.md); the compose CI image of RGW can reuse this function.
 */
export function rgwConfig({ dir, fsid, monPort, rgwPort, memoryBytes }: RgwConfigInput): string {
  const settings: Record<string, Record<string, string | number | boolean>> = {
    global: {
      fsid,
      // msgr v1 only, on loopback: one port, nothing on the LAN.
      'mon host': `v1:127.0.0.1:${monPort}`,
      'ms bind msgr2': false,
      'ms bind ipv6': false,
      'public addr': '127.0.0.1',
      'auth cluster required': 'cephx',
      'auth service required': 'cephx',
      'auth client required': 'cephx',
      keyring: join(dir, 'keyring'),
      // Everything under the temp folder, never /var/lib/ceph, /var/run/ceph or /var/log/ceph.
      'log file': join(dir, '$name.log'),
      'admin socket': join(dir, '$name.asok'),
      'pid file': join(dir, '$name.pid'),
      'run dir': dir,
      'crash dir': join(dir, 'crash'),
      'mon data': join(dir, 'mon'),
      'mon initial members': 'a',
      'osd data': join(dir, 'osd'),
      // Objects in RAM, capped: nothing to format, nothing left on disk.
      'osd objectstore': 'memstore',
      'memstore device bytes': memoryBytes,
      // One OSD: one copy, one placement group per pool, no autoscaler creating more.
      'osd pool default size': 1,
      'osd pool default min size': 1,
      'osd pool default pg num': 1,
      'osd pool default pgp num': 1,
      'osd pool default pg autoscale mode': 'off',
      'mon allow pool size one': true,
      'mon warn on pool no redundancy': false,
      'osd crush chooseleaf type': 0,
      'mon max pg per osd': 1000,
      // The defaults (1 s proposals) make a start take about 14 s instead of 2 s.
      'paxos propose interval': 0.05,
      'paxos min wait': 0.01,
    },
    'client.rgw': {
      // Without tcp_nodelay every small request waits about 40 ms (Nagle + delayed ACK).
      'rgw frontends': `beast endpoint=127.0.0.1:${rgwPort} tcp_nodelay=1`,
      'rgw data': join(dir, 'rgw'),
    },
  };
  return Object.entries(settings)
    .map(([section, values]) => `[${section}]\n${Object.entries(values).map(([k, v]) => `${k} = ${String(v)}`).join('\n')}\n`)
    .join('\n');
}

export async function startRgw(options: RgwOptions = {}): Promise<RunningRgw> {
  const dir = await mkdtemp(join(tmpdir(), 'nebula-rgw-'));
  const conf = join(dir, 'ceph.conf');
  const [monPort, rgwPort] = [await freePort(), await freePort()];
  const fsid = randomUUID();
  const pids: number[] = [];
  // Stops the daemons and removes the folder if this process ends without stop().
  const watchdog = startWatchdog(dir);
  const ceph = (command: string, args: string[]) => run(command, ['-c', conf, ...args]);
  /** A daemon in the foreground (-f), its own process group, output to a log in the temp folder. */
  const daemon = async (command: string, args: string[]) => {
    const log = await open(join(dir, `${command}.out`), 'a');
    const child = spawn(command, ['-f', '-c', conf, ...args], { detached: true, stdio: ['ignore', log.fd, log.fd] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e: NodeJS.ErrnoException) =>
        reject(e.code === 'ENOENT' ? new Error(`${command} is not installed (apt-get install --no-install-recommends radosgw ceph-mon ceph-osd ceph-common)`) : e),
      );
    });
    await log.close();
    child.unref();
    pids.push(child.pid!);
    watchdog.watch(child.pid!);
    return child;
  };
  const stop = async () => {
    watchdog.disarm();
    // radosgw first, the monitor last: each still has the ones it talks to while it shuts down.
    for (const pid of [...pids].reverse()) {
      if (!processRuns(pid)) continue;
      process.kill(pid, 'SIGTERM');
      if (!(await waitForExit(pid, 10_000))) process.kill(pid, 'SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await writeFile(conf, rgwConfig({ dir, fsid, monPort, rgwPort, memoryBytes: options.memoryBytes ?? 2 * GiB }));
    await Promise.all(['mon', 'osd', 'rgw', 'crash'].map((d) => mkdir(join(dir, d))));
    const keyring = join(dir, 'keyring');
    await run('ceph-authtool', ['--create-keyring', keyring, '--gen-key', '-n', 'mon.', '--cap', 'mon', 'allow *']);
    await run('ceph-authtool', [keyring, '--gen-key', '-n', 'client.admin', '--cap', 'mon', 'allow *', '--cap', 'osd', 'allow *', '--cap', 'mgr', 'allow *']);
    await run('ceph-authtool', [keyring, '--gen-key', '-n', 'osd.0', '--cap', 'mon', 'allow profile osd', '--cap', 'osd', 'allow *', '--cap', 'mgr', 'allow profile osd']);
    await run('ceph-authtool', [keyring, '--gen-key', '-n', 'client.rgw', '--cap', 'mon', 'allow rw', '--cap', 'osd', 'allow rwx']);
    const monmap = join(dir, 'monmap');
    await run('monmaptool', ['--create', '--fsid', fsid, '--addv', 'a', `[v1:127.0.0.1:${monPort}]`, monmap]);
    await ceph('ceph-mon', ['--mkfs', '-i', 'a', '--monmap', monmap, '--keyring', keyring]);
    await daemon('ceph-mon', ['-i', 'a']);
    const osdUuid = randomUUID();
    await ceph('ceph', ['--connect-timeout', '30', 'osd', 'create', osdUuid]);
    await ceph('ceph-osd', ['-i', '0', '--mkfs', '--osd-uuid', osdUuid]);
    await daemon('ceph-osd', ['-i', '0']);
    const rgw = await daemon('radosgw', ['-n', 'client.rgw']);
    let rgwExit: string | undefined;
    rgw.once('exit', (code, signal) => (rgwExit = signal ?? `exit ${code}`));
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    await waitFor(`radosgw on ${endpoint}`, async () => {
      if (rgwExit) throw new Error(`radosgw stopped at start (${rgwExit}); its log is ${join(dir, 'client.rgw.log')}`);
      return (await fetch(endpoint).catch(() => null)) !== null;
    }, 60_000, 50);

    const createUser: RunningRgw['createUser'] = (uid, userOptions) => createRgwUser(conf, uid, userOptions);
    const { accessKey, secretKey } = await createUser('nebula');
    return { endpoint, region: RGW_REGION, accessKey, secretKey, pids, conf, createUser, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface RgwUserOptions {
  /** A user quota: RGW refuses writes past this many bytes, as a full store does. */
  maxBytes?: number;
  /** How many buckets the user may own; past it, creating one is refused. */
  maxBuckets?: number;
}

/** A new S3 user on the cluster of `conf`. */
export async function createRgwUser(conf: string, uid: string, { maxBytes, maxBuckets }: RgwUserOptions = {}): Promise<{ accessKey: string; secretKey: string }> {
  const admin = (args: string[]) => run('radosgw-admin', ['-c', conf, ...args]);
  const keys = { accessKey: `${uid.toUpperCase().replace(/[^A-Z0-9]/g, '')}${randomBytes(6).toString('hex').toUpperCase()}`, secretKey: randomBytes(20).toString('hex') };
  await admin(['user', 'create', '--uid', uid, '--display-name', uid, '--access-key', keys.accessKey, '--secret-key', keys.secretKey, ...(maxBuckets === undefined ? [] : ['--max-buckets', String(maxBuckets)])]);
  if (maxBytes !== undefined) {
    await admin(['quota', 'set', '--quota-scope=user', '--uid', uid, `--max-size=${maxBytes}`]);
    await admin(['quota', 'enable', '--quota-scope=user', '--uid', uid]);
  }
  return keys;
}
