import type { IncomingHttpHeaders } from 'node:http';
import type { MeDto } from '@nebula/contract';
import { AddressRanges } from './address-ranges';
import type { ClientAddress } from './client-address';
import { serveUser } from './serve-headers';
import { TailscaledUnavailableError, type WhoisAnswer } from './tailscale-whois.client';

/** Who is calling: the tailnet user (or null: the single owner), and how the gateway knows. */
export type Caller = MeDto;

/** The one method of TailscaleWhoisClient this logic needs. */
export interface Whois {
  readonly socketPath: string;
  whois(ip: string, port: number | null): Promise<WhoisAnswer>;
}

export interface CallerIdentityLog {
  warn(message: string): void;
  log(message: string): void;
}

/** How long a whois answer is reused for the same address: a tailnet IP belongs to one device. */
export const WHOIS_CACHE_MS = 30_000;
/** After tailscaled failed to answer, requests go on without asking it for this long. */
export const WHOIS_RETRY_MS = 5_000;
const CACHE_LIMIT = 1024;

const LOOPBACK = new AddressRanges(['127.0.0.0/8', '::1/128']);

/**
 * Names the caller: from `tailscale serve`'s identity headers when the socket peer is a trusted
 * proxy, else from tailscaled's `whois` of the client address (when its socket is configured),
 * else nobody (the single owner). Never fails a request: when tailscaled does not answer, the
 * request goes on without a user and the log says so once.
 */
export class CallerIdentity {
  private readonly cache = new Map<string, { answer: WhoisAnswer; expires: number }>();
  private readonly pending = new Map<string, Promise<WhoisAnswer | null>>();
  private unavailableUntil = 0;
  private unavailable = false;

  constructor(
    private readonly whois: Whois | null,
    private readonly log: CallerIdentityLog,
    private readonly now: () => number = Date.now,
  ) {}

  async identify(client: ClientAddress, headers: IncomingHttpHeaders): Promise<Caller> {
    if (client.socketTrusted) {
      const user = serveUser(headers);
      if (user) return { user: user.login, name: user.name, via: 'header', address: client.address };
    }
    // A process on this machine has no tailnet identity; tailscaled would only answer 404.
    if (this.whois && !LOOPBACK.contains(client.address)) {
      const answer = await this.lookup(client.address, client.port);
      // Tagged devices (servers, CI) have no user; `tailscale serve` sends no identity for them either.
      if (answer?.found && !answer.tagged) return { user: answer.login, name: answer.name, via: 'whois', address: client.address };
    }
    return { user: null, name: null, via: 'single-owner', address: client.address };
  }

  private lookup(address: string, port: number | null): Promise<WhoisAnswer | null> {
    const cached = this.cache.get(address);
    if (cached && cached.expires > this.now()) return Promise.resolve(cached.answer);
    if (this.now() < this.unavailableUntil) return Promise.resolve(null);
    const inFlight = this.pending.get(address);
    if (inFlight) return inFlight;
    const asking = this.ask(address, port).finally(() => this.pending.delete(address));
    this.pending.set(address, asking);
    return asking;
  }

  private async ask(address: string, port: number | null): Promise<WhoisAnswer | null> {
    const whois = this.whois!;
    try {
      const answer = await whois.whois(address, port);
      if (this.unavailable) {
        this.unavailable = false;
        this.log.log(`tailscaled answers whois again at ${whois.socketPath}`);
      }
      this.cache.delete(address);
      this.cache.set(address, { answer, expires: this.now() + WHOIS_CACHE_MS });
      if (this.cache.size > CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
      return answer;
    } catch (error) {
      if (!(error instanceof TailscaledUnavailableError)) throw error;
      this.unavailableUntil = this.now() + WHOIS_RETRY_MS;
      if (!this.unavailable) {
        this.unavailable = true;
        this.log.warn(
          `tailscaled's LocalAPI at ${whois.socketPath} does not answer whois (${error.message}); requests go on without a tailnet user until it does (is the socket mounted and tailscaled running?)`,
        );
      }
      return null;
    }
  }
}
