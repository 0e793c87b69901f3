import { Inject, Injectable, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage } from 'node:http';
import type { ApiErrorBody } from '@nebula/contract';
import type { Config } from '@nebula/shared';
import { CONFIG } from '../config/config.module';
import { AddressRanges } from './address-ranges';
import { CallerIdentity } from './caller-identity';
import { setCaller } from './current-caller';
import { decideAccess } from './tailnet-policy';

/**
 * The gate in front of every route (API, tus uploads, HLS, content, SSE, the web UI's files):
 * gateway.ts installs `middleware` as an Express middleware before Nest registers any route.
 * Peers outside NEBULA_ALLOWED_CIDRS get 403 and a warning line; everyone else goes on with the
 * caller (tailnet user or single owner) on the request, for `@CurrentCaller()`.
 */
@Injectable()
export class TailnetGuard {
  private readonly logger = new Logger('access');
  private readonly allowed: AddressRanges;
  private readonly trusted: AddressRanges;

  constructor(
    @Inject(CONFIG) config: Config,
    private readonly identity: CallerIdentity,
  ) {
    this.allowed = new AddressRanges(config.access.allowedCidrs);
    this.trusted = new AddressRanges(config.access.trustedProxies);
  }

  /**
   * True when this peer may come in (the same decision as `middleware`, which also refuses and
   * logs): what the read path in front of Express (files/content-fast-path.ts) asks. It does not
   * find out who the caller is: reading a file's bytes does not depend on it.
   */
  admits(req: IncomingMessage): boolean {
    if (req.socket.remoteAddress === undefined) return false;
    const connection = { socketAddress: req.socket.remoteAddress, socketPort: req.socket.remotePort, headers: req.headers };
    return decideAccess(connection, this.allowed, this.trusted, '').allowed;
  }

  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    // Anything that throws on the way is the error handler's (a 500 without details), never an unhandled rejection.
    this.handle(req, res, next).catch(next);
  };

  private async handle(req: Request, res: Response, next: NextFunction): Promise<void> {
    // Node forgets the peer's address once the socket is gone: a client that already hung up.
    if (req.socket.remoteAddress === undefined && req.socket.destroyed) return;
    const connection = { socketAddress: req.socket.remoteAddress, socketPort: req.socket.remotePort, headers: req.headers };
    const decision = decideAccess(connection, this.allowed, this.trusted, `${req.method} ${(req.originalUrl ?? req.url).split('?')[0]!.slice(0, 200)}`);
    if (!decision.allowed) {
      this.logger.warn(decision.logLine);
      const body: ApiErrorBody & { error: string } = { statusCode: 403, code: 'forbidden', error: 'forbidden', message: decision.message };
      res.status(403).json(body);
      return;
    }
    try {
      setCaller(req, await this.identity.identify(decision.client, req.headers));
    } catch (error) {
      // Identity is a nicety; a bug in it must not lock the owner out.
      this.logger.error(`could not tell who ${decision.client.address} is: ${error instanceof Error ? error.message : String(error)}`);
      setCaller(req, { user: null, name: null, via: 'single-owner', address: decision.client.address });
    }
    next();
  }
}
