// The least a Node process can do to answer the range bench (ops/bench/range.ts): no framework, no
// database, no checks, one file or one object. Its figure is the ceiling of serving from one Node
// event loop that copies the bytes through JavaScript (read into a buffer, written to the socket),
// so the bench can say how much of the gap to nginx (or RGW) is Nebula's and how much is Node's.
// On fs, Nebula sends with the kernel's sendfile instead (server/shared/src/storage/sendfile.ts).
//   node ops/bench/bare-range-server.mjs fs <file> <port>      pread into reused 1 MiB buffers, one handle kept open
//   node ops/bench/bare-range-server.mjs s3 <presigned url> <port>   one ranged GET per request over an undici pool, piped
// Answers only `Range: bytes=a-b` GETs; prints "listening" when it is.
import { open } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';

const [mode, target, port] = process.argv.slice(2);
const range = (req) => {
  const match = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
  return match ? { start: Number(match[1]), end: Number(match[2]) } : null;
};

let handler;
if (mode === 'fs') {
  const file = await open(target, 'r');
  const size = (await file.stat()).size;
  const free = [];
  handler = async (req, res) => {
    const { start, end } = range(req);
    res.writeHead(206, { 'Content-Type': 'application/octet-stream', 'Content-Length': end - start + 1, 'Content-Range': `bytes ${start}-${end}/${size}` });
    for (let at = start; at <= end; ) {
      const buffer = free.pop() ?? Buffer.allocUnsafeSlow(1024 * 1024);
      const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, end - at + 1), at);
      at += bytesRead;
      if (!res.write(buffer.subarray(0, bytesRead), () => free.push(buffer))) await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end();
  };
} else if (mode === 's3') {
  // The gateway's own undici (server/shared depends on it).
  const { Pool } = createRequire(new URL('../../server/shared/package.json', import.meta.url))('undici');
  const url = new URL(target);
  const pool = new Pool(url.origin, { connections: null, bodyTimeout: 0 });
  handler = async (req, res) => {
    const { statusCode, headers, body } = await pool.request({ method: 'GET', path: `${url.pathname}${url.search}`, headers: { range: req.headers.range } });
    res.writeHead(statusCode, { 'Content-Type': 'application/octet-stream', 'Content-Length': headers['content-length'], 'Content-Range': headers['content-range'] });
    body.pipe(res);
  };
} else {
  throw new Error('usage: bare-range-server.mjs fs <file> <port> | s3 <presigned url> <port>');
}

createServer((req, res) => {
  if (!range(req)) {
    res.writeHead(416).end();
    return;
  }
  handler(req, res).catch((error) => res.destroy(error));
}).listen(Number(port), '127.0.0.1', () => console.log('listening'));

// ops/bench/range.ts starts it in a session of its own, out of reach of the terminal's Ctrl-C, with
// a pipe on stdin: it stops when the bench closes that pipe or the bench dies.
if (!process.stdin.isTTY) process.stdin.on('end', () => process.exit(0)).resume();
