import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';
import { traceIdFrom } from '@nebula/shared';

/** The request's trace id (from `traceparent`, or new), kept on the request so every use agrees. */
export const TraceId = createParamDecorator((_: unknown, ctx: ExecutionContext): string => traceIdOf(ctx.switchToHttp().getRequest<Request>()));

export function traceIdOf(req: IncomingMessage & { nebulaTraceId?: string }): string {
  req.nebulaTraceId ??= traceIdFrom(req.headers.traceparent);
  return req.nebulaTraceId;
}
