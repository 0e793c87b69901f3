/**
 * Where a git remote points, as far as `nebula deploy`, `deploys --remote` and `rollback` care:
 * a machine reached over ssh, or a folder on this machine.
 */
export type ServerLocation =
  | {
      kind: 'ssh';
      /** What ssh connects to: "user@host" or "host". */
      destination: string;
      user: string | null;
      host: string;
      port: number | null;
      /** The bare repo on the server: absolute, "~/...", "~user/..." (left for the server's shell to expand) or relative to the login's home. */
      path: string;
    }
  | { kind: 'local'; path: string };

export class RemoteUrlError extends Error {}

/**
 * Parses the URL forms git accepts for a remote: ssh://[user@]host[:port]/path (also git+ssh://),
 * scp-like [user@]host:path, file:///path and plain paths. Others (https://, git://) cannot
 * run the server's scripts and are refused with the reason.
 */
export function parseRemoteUrl(url: string): ServerLocation {
  const location = parseLocation(url);
  // ssh would read "-oProxyCommand=..." as an option: git refuses such hosts, and so do we.
  if (location.kind === 'ssh' && (location.destination.startsWith('-') || location.host.startsWith('-'))) throw new RemoteUrlError(`refusing the ssh host "${location.host}": it starts with "-"`);
  return location;
}

function parseLocation(url: string): ServerLocation {
  const trimmed = url.trim();
  if (!trimmed) throw new RemoteUrlError('the remote has no URL');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === 'ssh' || scheme === 'git+ssh' || scheme === 'ssh+git') {
    let parsed: URL;
    try {
      parsed = new URL(`ssh://${trimmed.slice(scheme.length + 3)}`);
    } catch {
      throw new RemoteUrlError(`not a valid ssh URL: ${trimmed}`);
    }
    if (!parsed.hostname) throw new RemoteUrlError(`no host in ${trimmed}`);
    const user = parsed.username ? decodeURIComponent(parsed.username) : null;
    const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
    let path = decodeURIComponent(parsed.pathname);
    // ssh://host/~/repo and ssh://host/~user/repo mean a path under a home folder, as git reads them.
    if (path.startsWith('/~')) path = path.slice(1);
    if (!path || path === '/') throw new RemoteUrlError(`no repository path in ${trimmed}`);
    return { kind: 'ssh', destination: user ? `${user}@${host}` : host, user, host, port: parsed.port ? Number(parsed.port) : null, path };
  }
  if (scheme === 'file') return { kind: 'local', path: decodeURIComponent(new URL(trimmed).pathname) };
  if (scheme) throw new RemoteUrlError(`a ${scheme}:// remote cannot run the server's deploy scripts; use an ssh:// remote (hooks/install.sh prints one)`);
  // git's rule: a colon before any slash makes it scp-like (host:path); otherwise it is a path. An
  // IPv6 host is in brackets ([fd7a:115c:a1e0::1]:nebula.git): its colons do not count.
  const bracketed = /^(?:[^@/[]*@)?\[[^\]/]*\]/.exec(trimmed);
  const colon = trimmed.indexOf(':', bracketed ? bracketed[0].length : 0);
  const slash = trimmed.indexOf('/');
  if (colon > 0 && (slash === -1 || colon < slash)) {
    const target = trimmed.slice(0, colon);
    const path = trimmed.slice(colon + 1);
    if (!path) throw new RemoteUrlError(`no repository path in ${trimmed}`);
    const at = target.lastIndexOf('@');
    const user = at >= 0 ? target.slice(0, at) : null;
    const host = (at >= 0 ? target.slice(at + 1) : target).replace(/^\[(.*)\]$/, '$1');
    return { kind: 'ssh', destination: target.replace(/\[(.*)\]$/, '$1'), user, host, port: null, path };
  }
  return { kind: 'local', path: trimmed };
}
