// The edge: the one published port in front of the gateway, so that a deploy can move traffic to
// a new gateway that already passed its health check (blue/green) instead of restarting the one
// behind the port. It forwards every request, streaming both ways, to the upstream named in
// /run/nebula-edge/upstream ("host:port", written by the deploy hook; read again when it changes),
// or to gateway:8080 when the file is missing or empty. Plain Node, no dependencies.
import { readFileSync, watchFile } from 'node:fs';
import http from 'node:http';

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

let upstream = readUpstream();
console.log(`edge: forwarding :${port} to ${upstream}`);
watchFile(file, { interval: 100 }, () => {
  const next = readUpstream();
  if (next === upstream) return;
  console.log(`edge: forwarding to ${next} (was ${upstream})`);
  upstream = next;
});

// Hop-by-hop headers (RFC 9110, 7.6.1) stay on their own connection.
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function forward(req, res, target, retry) {
  const [host, targetPort] = target.split(':');
  const headers = {};
  for (const [name, value] of Object.entries(req.headers)) if (!HOP.has(name)) headers[name] = value;
  // The gateway trusts this network as a proxy and reads the client from X-Forwarded-For.
  const peer = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '';
  headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${req.headers['x-forwarded-for']}, ${peer}` : peer;
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

const server = http.createServer((req, res) => forward(req, res, upstream, true));
server.keepAliveTimeout = 65_000;
server.listen(port, '0.0.0.0');
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 10_000).unref();
});
