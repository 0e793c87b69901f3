import { ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';

/**
 * The kernel's sendfile(2) for the fs driver's reads (FsObjectStorage.sendTo): a file's bytes go from
 * the page cache to the client's socket without being read into JavaScript and written out again.
 *
 * Why: a range read through Node costs two copies of every byte (the read into a buffer, the write
 * into the socket). On ops/bench/range.ts's machine (2 cores, wrk on the same cores), 10 s of 32
 * clients reading random 1 MiB ranges cost a plain Node server 2.4–3.4 s of CPU, the same server
 * with this addon 1.1–1.8 s, and nginx (sendfile) 1.0–1.2 s; the gateway with it 1.8–2.1 s. The
 * CPU the copies take is the clients' too, and it showed in the tail: the gateway's p99 was
 * 128–346 ms (median 151) with sendfile and 231–483 ms (median 329) copying, in six alternating
 * runs of the bench (two rounds each), nginx's 85–170 ms.
 *
 * The addon (native/sendfile.c) is built by `npm ci` with the machine's C compiler. Without it, or
 * with NEBULA_SENDFILE=false (enableSendfile), or for a response it cannot take (below), sendTo
 * copies through a buffer as before: the same bytes, more CPU.
 */
interface SendfileAddon {
  start(socketFd: number, fileFd: number, offset: number, length: number, done: (error: NodeJS.ErrnoException | null, sent: number) => void): object;
  cancel(job: object): void;
  rounds(): { loop: number; pool: number };
}

export type SendfileStatus = { readonly available: true } | { readonly available: false; readonly reason: string };

let addon: SendfileAddon | undefined;
let status: SendfileStatus | undefined;
let enabled = true;

/** NEBULA_SENDFILE (config.sendfile), which the gateway's storage module passes on: false copies every file through Node. */
export function enableSendfile(on: boolean): void {
  enabled = on;
}

/** Whether sendfile is in use, and why not; loads the addon on first call. */
export function sendfileStatus(): SendfileStatus {
  if (!enabled) return { available: false, reason: 'NEBULA_SENDFILE=false' };
  if (status) return status;
  // Found from this module's folder: src/storage or dist/storage. A bundle of this module as an ES
  // module (the backup tool's, which serves no files) has no __dirname, and no addon.
  if (typeof __dirname !== 'string') return (status = { available: false, reason: 'not in a CommonJS build of @nebula/shared' });
  const path = join(__dirname, '..', '..', 'native', 'build', 'sendfile.node');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native addon loads only through require
    addon = require(path) as SendfileAddon;
    status = { available: true };
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND';
    status = { available: false, reason: missing ? `${path} was not built (npm ci builds it with a C compiler: apt-get install gcc libc6-dev, then npm ci)` : `${path} did not load: ${(error as Error).message}` };
  }
  return status;
}

/**
 * The rounds of sendfile run so far in this process: on the event loop (the bytes were in the page
 * cache) and on libuv's thread pool (some had to come from the disk). Zeros without the addon.
 */
export function sendfileRounds(): { loop: number; pool: number } {
  return sendfileStatus().available ? addon!.rounds() : { loop: 0, pool: 0 };
}

/** What sendfile needs to know of a socket that Node's typings keep private. */
interface SocketInternals {
  _handle?: { fd?: number } | null;
  _httpMessage?: unknown;
  encrypted?: boolean;
}

/**
 * The plain TCP socket a response of `length` bytes may be sent on with sendfile, or undefined:
 * Node's HTTP response, headers not sent yet and saying Content-Length: `length` (so nothing but
 * the bytes follows them: no chunked framing), first in line on its connection (not a pipelined
 * answer waiting its turn), and not TLS.
 */
export function sendfileSocket(to: Writable, length: number): Socket | undefined {
  if (!(to instanceof ServerResponse) || to.headersSent || to.destroyed || sendfileStatus().available === false) return undefined;
  if (to.getHeader('content-length') === undefined || Number(to.getHeader('content-length')) !== length) return undefined;
  const socket = to.socket;
  const internals = socket as unknown as SocketInternals | null;
  if (!socket || socket.destroyed || internals!._httpMessage !== to || internals!.encrypted) return undefined;
  const fd = internals!._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? socket : undefined;
}

/**
 * Sends the response's headers, then `length` bytes of the open file `fileFd` from `offset` with
 * sendfile, then ends the response. Resolves once the kernel has taken every byte; when the client
 * goes away first, resolves as well (the response is closed). Rejects on anything else, the error
 * carrying the bytes sent before it as `sent` (the response is then half sent: the caller cuts it).
 */
export async function sendFileTo(res: ServerResponse, socket: Socket, fileFd: number, offset: number, length: number): Promise<void> {
  res.flushHeaders();
  // An empty write completes after every byte written before it: the headers are in the kernel
  // before the file's first byte. It fails only when the socket is gone.
  const flushed = await new Promise<boolean>((resolve) => socket.write(EMPTY, (error) => resolve(!error)));
  const fd = (socket as unknown as SocketInternals)._handle?.fd;
  if (!flushed || res.destroyed || typeof fd !== 'number' || fd < 0) {
    res.destroy();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const cancel = () => addon!.cancel(job);
    const job = addon!.start(fd, fileFd, offset, length, (error, sent) => {
      res.off('close', cancel);
      if (!error || res.destroyed) resolve();
      else if (GONE.has(error.code ?? '')) {
        // Cut by the client: nothing left to answer, and the response must not look complete.
        res.destroy();
        resolve();
      } else reject(Object.assign(error, { sent }));
    });
    res.once('close', cancel);
  });
  if (!res.destroyed) res.end();
}

const EMPTY = Buffer.alloc(0);
/** How a socket's end shows in sendfile: the client closed it, or the response was closed under the job. */
const GONE = new Set(['EPIPE', 'ECONNRESET', 'ECANCELED']);
