import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { runWithTrace } from '@nebula/shared/runtime';
import type { GatewayMetrics } from '../metrics/gateway-metrics';
import { traceIdOf } from './request-context';

/**
 * The first middleware of every request: it enters the request's trace (from `traceparent`, or
 * new; echoed as `X-Trace-Id` so a user can quote it), so every log line the request causes
 * carries it, and when the response ends it writes one access log line and the HTTP metrics.
 *
 * Access lines: changes (POST, PATCH, PUT, DELETE) at info, reads at debug (a playing TV fetches a
 * segment every few seconds), 4xx at warn, 5xx at error; a client that hung up (499) as its method.
 */
export function observeRequests(logger: Logger, metrics: GatewayMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    // Already observed by the read path in front of Express (files/content-fast-path.ts), which
    // handed the request on: one access line and one count per request.
    if ((req as ObservedRequest)[OBSERVED]) return next();
    const traceId = observe(logger, metrics, req, res, (status) => routeOf(req, status));
    runWithTrace({ traceId }, next);
  };
}

const OBSERVED = Symbol('observed');
type ObservedRequest = IncomingMessage & { [OBSERVED]?: true };

/**
 * What observeRequests does for one request, on Node's own request and response (the read path in
 * front of Express uses it too): the trace id (echoed as `X-Trace-Id`), and when the response ends,
 * the HTTP metrics under `route(status)` and an access line. Returns the trace id, for runWithTrace.
 */
export function observe(logger: Logger, metrics: GatewayMetrics, req: IncomingMessage, res: ServerResponse, route: (status: number) => string): string {
  (req as ObservedRequest)[OBSERVED] = true;
  const traceId = traceIdOf(req);
  res.setHeader('x-trace-id', traceId);
  const started = process.hrtime.bigint();
  const uploading = req.method === 'PATCH' && (req.url ?? '').startsWith('/api/uploads');
  if (uploading) metrics.uploadsActive.inc();
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    if (uploading) metrics.uploadsActive.dec();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    // A response cut off before it ended (client gone) is recorded as status 499, as nginx does;
    // an event stream only ever ends that way, and that is its normal end.
    const stream = String(res.getHeader('content-type') ?? '').startsWith('text/event-stream');
    const gone = !res.writableFinished && !stream;
    const status = gone ? 499 : res.statusCode;
    const labels = { method: req.method!, route: route(status), status: String(status) };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, seconds);
    const read = req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS';
    // A viewer who skips ahead cancels segment fetches: a client that left is news, not a warning.
    const level = status >= 500 ? 'error' : gone ? (read ? 'debug' : 'info') : status >= 400 ? 'warn' : read ? 'debug' : 'info';
    // Reads log at debug, which is usually off: no line to build then.
    if (!logger.isLevelEnabled(level)) return;
    const url = (req as Partial<Request>).originalUrl ?? req.url;
    runWithTrace({ traceId }, () =>
      logger[level]({ context: 'http', method: req.method, url, route: labels.route, status, ms: Math.round(seconds * 1000) }, `${req.method} ${url} ${status}`),
    );
  };
  res.once('finish', finish);
  res.once('close', finish);
  return traceId;
}

/**
 * The route pattern for metrics labels, never the raw path (one series per file id would grow
 * without bound). Nest routes leave `req.route`; what no route matched is grouped by prefix.
 */
export function routeOf(req: Request, status: number): string {
  const route = (req as Request & { route?: { path?: unknown } }).route?.path;
  if (typeof route === 'string') return `${req.baseUrl}${route}`;
  const path = req.path;
  if (path.startsWith('/api/uploads')) return '/api/uploads';
  if (path.startsWith('/hls/')) return '/hls';
  if (path.startsWith('/api/')) return status === 404 ? 'unmatched' : '/api';
  return status === 404 ? 'unmatched' : 'web';
}
