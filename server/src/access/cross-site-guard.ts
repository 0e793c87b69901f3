import { Inject, Injectable, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { NODE_STORAGE_PATH, UPLOADS_PATH, type ApiErrorBody } from '@nebula/contract';
import { type Config } from '@nebula/shared';
import { CONFIG } from '../config/config.module';
import { hasAcceptableBodyType, HostAllowList, isSafeMethod, isSameOrigin } from './site-policy';

/** Headers a permitted other origin may read (besides the CORS-safelisted ones). */
const EXPOSED = 'X-Trace-Id, ETag, Content-Range, Content-Length, Accept-Ranges, Content-Disposition, X-More-Jobs';

/**
 * The browser-facing rules of site-policy.ts, as middleware right after the tailnet guard:
 * wrong Host → 421, a foreign Origin → 403, a state change that is not JSON → 415, and no page
 * of Nebula's may be framed. Configured origins (NEBULA_ALLOWED_ORIGINS) get CORS answers here;
 * tus (/api/uploads) gives its own, for the same origins.
 */
@Injectable()
export class CrossSiteGuard {
  private readonly logger = new Logger('access');
  private readonly hosts: HostAllowList;
  private readonly origins: Set<string>;

  constructor(@Inject(CONFIG) config: Config) {
    this.hosts = new HostAllowList([...config.access.allowedHosts, hostname()]);
    this.origins = new Set(config.access.allowedOrigins);
  }

  /** A configured other origin (never the request's own: same-origin needs no CORS). */
  allowsOrigin = (origin: string): boolean => this.origins.has(origin);

  /**
   * True when this request passes every rule here untouched: its Host is allowed and it comes from
   * no other origin (so no CORS answer), and it is a GET or HEAD. What the read path in front of
   * Express (files/content-fast-path.ts) asks; anything else goes through `middleware`.
   */
  passesAsIs(req: IncomingMessage): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const host = req.headers.host;
    const origin = req.headers.origin;
    return this.hosts.allows(host) && (origin === undefined || isSameOrigin(origin, host));
  }

  /** No page of Nebula's may be put in a frame (clickjacking of Delete, Move, Upload), or sniffed. */
  setPageHeaders(res: ServerResponse): void {
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Content-Security-Policy', "frame-ancestors 'none'");
    res.setHeader('X-Content-Type-Options', 'nosniff');
  }

  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    this.setPageHeaders(res);

    const host = req.headers.host;
    if (!this.hosts.allows(host)) {
      this.logger.warn(`refused Host ${JSON.stringify(host?.slice(0, 100))}: ${req.method} ${req.path.slice(0, 200)}`);
      refuse(res, 421, 'misdirected_host', `this Nebula does not answer to the name ${JSON.stringify(host?.slice(0, 100))}; use its address, localhost, its tailnet name, or add the name to NEBULA_ALLOWED_HOSTS`);
      return;
    }

    const origin = req.headers.origin;
    const tus = req.path === UPLOADS_PATH || req.path.startsWith(`${UPLOADS_PATH}/`);
    if (origin !== undefined && !isSameOrigin(origin, host)) {
      if (!this.origins.has(origin)) {
        this.logger.warn(`refused a request from the web page origin ${JSON.stringify(origin.slice(0, 100))}: ${req.method} ${req.path.slice(0, 200)}`);
        refuse(res, 403, 'cross_origin', `pages of ${JSON.stringify(origin.slice(0, 100))} may not use this Nebula; only its own web UI and NEBULA_ALLOWED_ORIGINS may`);
        return;
      }
      if (!tus) {
        res.setHeader('Access-Control-Allow-Origin', origin);
        res.setHeader('Access-Control-Expose-Headers', EXPOSED);
        res.vary('Origin');
        if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
          res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST, PATCH, DELETE');
          res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Accept, Range, If-Range, If-None-Match, If-Match, If-Modified-Since, Last-Event-ID, traceparent');
          res.setHeader('Access-Control-Max-Age', '600');
          res.status(204).end();
          return;
        }
      }
    }

    // A worker node streams objects to its storage endpoints, each request with its join token as
    // a bearer header, which no form or no-cors fetch of a foreign page can send.
    const nodeStorage = req.path.startsWith(`${NODE_STORAGE_PATH}/`);
    if (!tus && !nodeStorage && !isSafeMethod(req.method) && !hasAcceptableBodyType(req.method, req.headers['content-type'])) {
      refuse(res, 415, 'unsupported_media_type', `${req.method} ${req.path.slice(0, 200)} takes a JSON body: send Content-Type: application/json (even with an empty body, {})`);
      return;
    }
    next();
  };
}

function refuse(res: Response, status: number, code: string, message: string): void {
  const body: ApiErrorBody = { statusCode: status, code, message };
  res.status(status).json(body);
}
