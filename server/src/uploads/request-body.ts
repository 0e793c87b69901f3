import type { IncomingMessage } from 'node:http';
import { finished } from 'node:stream';

/** How many bytes of a request body may wait for the store before the socket is paused. */
const BODY_HIGH_WATER_MARK = 1024 * 1024;

/**
 * A request's body as the web stream @tus/server reads it from, without a copy of every chunk.
 * srvx builds it with Readable.toWeb, which copies each socket chunk into a new Uint8Array (to
 * detach it from Buffer's shared pool). The chunks of an HTTP body are never pooled and nothing
 * here writes to them, so they go on as they are. In a profile of a 2 GiB upload to the fs driver
 * those copies (2 GiB, in 64 KiB pieces, 2.3 s) and the garbage collections they caused (5.3 s)
 * were about half of the CPU time of the gateway's main thread.
 * Backpressure as toWeb's: the socket is paused while 1 MiB waits; cancelling destroys the request.
 */
export function requestBody(req: IncomingMessage): ReadableStream<Uint8Array> {
  let onData: (chunk: Buffer) => void;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        onData = (chunk) => {
          controller.enqueue(chunk);
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        };
        req.on('data', onData);
        // As toWeb: the end, an error, or the client going away mid-body (a premature close).
        finished(req, (error) => {
          req.off('data', onData);
          try {
            if (error) controller.error(error);
            else controller.close();
          } catch {
            // Already cancelled: nobody reads any more.
          }
        });
        req.pause();
      },
      pull() {
        req.resume();
      },
      cancel(reason) {
        req.off('data', onData);
        req.destroy(reason instanceof Error ? reason : undefined);
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: BODY_HIGH_WATER_MARK }),
  );
}
