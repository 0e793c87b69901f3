import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { normalizeAddress } from './address-ranges';
import type { Caller } from './caller-identity';

type WithCaller = IncomingMessage & { nebulaCaller?: Caller };

/** Kept on the request by the tailnet guard, before any route runs. */
export function setCaller(req: IncomingMessage, caller: Caller): void {
  (req as WithCaller).nebulaCaller = caller;
}

/**
 * Who is calling this request. The guard sets it for every request the gateway serves; a request
 * that somehow skipped it (a unit test building a controller by hand) is the single owner.
 */
export function callerOf(req: IncomingMessage): Caller {
  return (req as WithCaller).nebulaCaller ?? { user: null, name: null, via: 'single-owner', address: normalizeAddress(req.socket?.remoteAddress) ?? 'unknown' };
}

/** A controller parameter: `@CurrentCaller() caller: Caller`. */
export const CurrentCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller => callerOf(ctx.switchToHttp().getRequest<IncomingMessage>()));
