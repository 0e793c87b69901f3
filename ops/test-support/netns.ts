import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { TcpHop } from './tcp-hop';

const run = promisify(execFile);
const ip = (...args: string[]) => run('ip', args);

/** Why network-namespace tests cannot run here, or null when they can. */
export function whyNoNamespaces(): string | null {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  if (process.getuid?.() !== 0) return 'creating network namespaces needs root (CI runs as root)';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return null;
  } catch {
    return '`ip netns` is not available (install iproute2)';
  }
}

/**
 * A machine of its own on the network, as far as TCP/IP goes: a network namespace joined to this
 * one by a veth pair, a /30 with `hostAddress` on this side and `address` inside. Services on
 * 127.0.0.1 here are reached from inside through TcpHops that listen on `hostAddress` only.
 * `cut()` takes the link down (a cable pulled, Wi-Fi gone); `reconnect()` brings it back.
 */
export class NetnsMachine {
  readonly ns: string;
  private readonly link: string;
  private readonly hops: TcpHop[] = [];

  constructor(
    tag: string,
    readonly hostAddress: string,
    readonly address: string,
  ) {
    this.ns = `nebula-${tag}`;
    this.link = `nb${tag}`.slice(0, 13);
  }

  async create(): Promise<this> {
    await ip('netns', 'add', this.ns);
    await ip('link', 'add', `${this.link}0`, 'type', 'veth', 'peer', 'name', `${this.link}1`);
    await ip('link', 'set', `${this.link}1`, 'netns', this.ns);
    await ip('addr', 'add', `${this.hostAddress}/30`, 'dev', `${this.link}0`);
    await ip('link', 'set', `${this.link}0`, 'up');
    await ip('-n', this.ns, 'addr', 'add', `${this.address}/30`, 'dev', `${this.link}1`);
    await ip('-n', this.ns, 'link', 'set', `${this.link}1`, 'up');
    await ip('-n', this.ns, 'link', 'set', 'lo', 'up');
    return this;
  }

  /**
   * `url` (on 127.0.0.1 here) as this machine reaches it: through a hop on hostAddress. `samePort`:
   * the hop listens on the service's own port, as a server publishing it on its tailnet address
   * would, so the service's URL with only the host changed works from inside.
   */
  async reach(url: string, options: { samePort?: boolean } = {}): Promise<string> {
    const u = new URL(url);
    const hop = new TcpHop({ host: u.hostname, port: Number(u.port) }, this.hostAddress);
    if (options.samePort) hop.port = Number(u.port);
    await hop.open();
    this.hops.push(hop);
    u.hostname = this.hostAddress;
    u.port = String(hop.port);
    return u.toString();
  }

  /** The command as run inside the namespace (`ip netns exec` execs it: the pid is the program's). */
  command(program: string, args: string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', this.ns, program, ...args]];
  }

  async cut(): Promise<void> {
    await ip('link', 'set', `${this.link}0`, 'down');
  }

  async reconnect(): Promise<void> {
    await ip('link', 'set', `${this.link}0`, 'up');
  }

  async remove(): Promise<void> {
    for (const hop of this.hops) await hop.cut().catch(() => undefined);
    await ip('link', 'del', `${this.link}0`).catch(() => undefined);
    await ip('netns', 'del', this.ns).catch(() => undefined);
  }
}
