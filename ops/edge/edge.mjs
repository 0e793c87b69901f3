// The edge: the one published port in front of the gateway, so that a deploy can move traffic to
// a new gateway that already passed its health check (blue/green) instead of restarting the one
// behind the port. It forwards every request, streaming both ways, to the upstream named in
// /run/nebula-edge/upstream ("host:port", written by the deploy hook; read again when it changes),
// or to gateway:8080 when the file is missing or empty. Plain Node, no dependencies.
import { readFileSync, watchFile } from 'node:fs';
import http from 'node:http';
import { BlockList, isIP } from 'node:net';
import { pathToFileURL } from 'node:url';

// Fixed names, no settings: docker-compose.yml mounts the folder and publishes the port.
const DEFAULT_UPSTREAM = 'gateway:8080';
const file = '/run/nebula-edge/upstream';
const port = 8080;

function readUpstream() {
  try {
    const text = readFileSync(file, 'utf8').trim();
    return /^[A-Za-z0-9._-]+:\d+$/.test(text) ? text : DEFAULT_UPSTREAM;
  } catch {
    return DEFAULT_UPSTREAM;
  }
}

// Hop-by-hop headers (RFC 9110, 7.6.1) stay on their own connection.
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** NEBULA_TRUSTED_PROXIES ("a.b.c.d/n,x::/n"), the gateway's own list, as a BlockList to match peers against. */
export function trustedProxies(spec) {
  const list = new BlockList();
  for (const cidr of (spec ?? '').split(',').map((part) => part.trim()).filter(Boolean)) {
    const [address, bits] = cidr.split('/');
    const family = isIP(address);
    if (!family) throw new Error(`NEBULA_TRUSTED_PROXIES: not an address range: "${cidr}"`);
    list.addSubnet(address, Number(bits ?? (family === 6 ? 128 : 32)), family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

/**
 * The headers a request goes on with. The gateway trusts the edge as a proxy: it believes the
 * X-Forwarded-For and the Tailscale-User-* identity the edge passes on. So the edge passes on a
 * client's own only when its peer is a proxy the gateway would trust itself (tailscale serve on the
 * host, reaching the port through Docker); a tailnet device that connects straight to the published
 * address (NEBULA_BIND=100.x) is just a client, and cannot claim another user or address.
 */
export function forwardedHeaders(incoming, peer, trusted) {
  const family = isIP(peer);
  const vouched = family !== 0 && trusted.check(peer, family === 6 ? 'ipv6' : 'ipv4');
  const headers = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (HOP.has(name)) continue;
    if (!vouched && (name === 'x-forwarded-for' || name.startsWith('tailscale-user-'))) continue;
    headers[name] = value;
  }
  headers['x-forwarded-for'] = vouched && incoming['x-forwarded-for'] ? `${incoming['x-forwarded-for']}, ${peer}` : peer;
  return headers;
}

const trusted = trustedProxies(process.env.NEBULA_TRUSTED_PROXIES ?? '127.0.0.0/8,::1/128');
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
let upstream = DEFAULT_UPSTREAM;

function forward(req, res, target, retry) {
  const [host, targetPort] = target.split(':');
  const peer = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '';
  const headers = forwardedHeaders(req.headers, peer, trusted);
  const outgoing = http.request({ host, port: Number(targetPort), method: req.method, path: req.url, headers, agent }, (answer) => {
    const out = {};
    for (const [name, value] of Object.entries(answer.headers)) if (!HOP.has(name)) out[name] = value;
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, out);
    answer.pipe(res);
    answer.on('error', () => res.destroy());
  });
  outgoing.on('error', (error) => {
    // A request without a body can go to the default gateway when the named one has just gone.
    if (retry && !res.headersSent && target !== DEFAULT_UPSTREAM && (req.method === 'GET' || req.method === 'HEAD')) {
      forward(req, res, DEFAULT_UPSTREAM, false);
      return;
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    console.error(`edge: ${req.method} ${req.url?.split('?')[0]} to ${target}: ${error.code ?? error.message}`);
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 'gateway_unavailable', message: 'the gateway is not answering; try again in a moment' }));
  });
  req.on('aborted', () => outgoing.destroy());
  res.on('close', () => {
    if (!res.writableFinished) outgoing.destroy();
  });
  if (req.method === 'GET' || req.method === 'HEAD') outgoing.end();
  else req.pipe(outgoing);
}

function serve() {
  upstream = readUpstream();
  console.log(`edge: forwarding :${port} to ${upstream}`);
  watchFile(file, { interval: 100 }, () => {
    const next = readUpstream();
    if (next === upstream) return;
    console.log(`edge: forwarding to ${next} (was ${upstream})`);
    upstream = next;
  });
  const server = http.createServer((req, res) => forward(req, res, upstream, true));
  server.keepAliveTimeout = 65_000;
  server.listen(port, '0.0.0.0');
  process.on('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
  });
}

// Run as a program (the image's CMD); imported, it only lends its header rules (edge.test.ts).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) serve();
