import { request } from 'node:http';

/** What tailscaled's `whois` says about a peer. */
export type WhoisAnswer =
  | { found: true; login: string; name: string | null; tagged: boolean }
  /** Not a peer of this tailnet (404 "no match for IP:port"). */
  | { found: false };

/** tailscaled did not answer (no socket, refused, timed out, or an error status). */
export class TailscaledUnavailableError extends Error {
  override name = 'TailscaledUnavailableError';
}

/** The answer's parts Nebula reads (tailcfg.WhoIsResponse / tailcfg.UserProfile in tailscale's source). */
interface WhoisResponse {
  Node?: { Tags?: string[] | null } | null;
  UserProfile?: { LoginName?: string; DisplayName?: string } | null;
}

const TIMEOUT_MS = 2_000;
const MAX_BODY = 1024 * 1024;

/**
 * tailscaled's LocalAPI `whois`, over its unix socket (`/var/run/tailscale/tailscaled.sock` on a
 * Linux host). The LocalAPI refuses a request whose Host is not `local-tailscaled.sock`.
 */
export class TailscaleWhoisClient {
  constructor(readonly socketPath: string) {}

  /** `addr` is `ip:port` (`[v6]:port` for IPv6): older tailscaled releases accept nothing else. */
  whois(ip: string, port: number | null): Promise<WhoisAnswer> {
    const addr = ip.includes(':') ? `[${ip}]:${port ?? 0}` : `${ip}:${port ?? 0}`;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          path: `/localapi/v0/whois?addr=${encodeURIComponent(addr)}`,
          method: 'GET',
          headers: { Host: 'local-tailscaled.sock' },
          timeout: TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY) req.destroy(new TailscaledUnavailableError(`its whois answer for ${addr} is larger than ${MAX_BODY} bytes`));
            else chunks.push(chunk);
          });
          res.on('error', (error) => reject(new TailscaledUnavailableError(error.message)));
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode === 404) return resolve({ found: false });
            if (res.statusCode !== 200) {
              return reject(new TailscaledUnavailableError(`whois ${addr} answered ${res.statusCode}: ${body.trim().slice(0, 200)}`));
            }
            try {
              resolve(readAnswer(JSON.parse(body) as WhoisResponse));
            } catch {
              reject(new TailscaledUnavailableError(`whois ${addr} answered with something that is not its JSON`));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new TailscaledUnavailableError(`no answer to whois within ${TIMEOUT_MS} ms`)));
      req.on('error', (error) => reject(error instanceof TailscaledUnavailableError ? error : new TailscaledUnavailableError(error.message)));
      req.end();
    });
  }
}

function readAnswer(response: WhoisResponse): WhoisAnswer {
  const login = response.UserProfile?.LoginName;
  if (!login) return { found: false };
  return { found: true, login, name: response.UserProfile?.DisplayName || null, tagged: (response.Node?.Tags?.length ?? 0) > 0 };
}
