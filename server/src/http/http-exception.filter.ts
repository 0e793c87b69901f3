import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { codeForStatus, type ApiErrorBody } from '@nebula/contract';
import { dependencyFailure } from '@nebula/shared';
import { DomainError } from '../errors/domain-errors';
import { apiErrorOf } from './api-error';

/**
 * Errors leave as JSON with a stable code (the contract's ApiErrorBody): a service's DomainError
 * through apiErrorOf (the one HTTP mapping), Nest's own HttpExceptions (routing, pipes) as they
 * are; anything unexpected is logged here and never leaks a stack.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    let body: ApiErrorBody;
    if (exception instanceof DomainError) {
      body = apiErrorOf(exception);
    } else if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const raw = exception.getResponse();
      const given = typeof raw === 'object' && raw !== null ? (raw as Partial<ApiErrorBody> & { message?: unknown }) : {};
      const message = Array.isArray(given.message) ? given.message.join('; ') : String(given.message ?? exception.message);
      body = { statusCode: status, code: given.code ?? codeForStatus(status), message };
    } else {
      const failure = dependencyFailure(exception);
      const reason = exception instanceof Error ? (exception.stack ?? exception.message) : String(exception);
      if (failure) this.logger.error(`${failure.code}: ${reason}`);
      else this.logger.error(reason);
      body = failure ?? { statusCode: HttpStatus.INTERNAL_SERVER_ERROR, code: 'internal', message: 'Something went wrong on the server; the details are in its log.' };
    }
    if (!res.headersSent) {
      // A route may have described the file it meant to send (a download's type and name) before it
      // failed; the error is JSON, whatever was set.
      res.removeHeader('Content-Disposition');
      res.removeHeader('Content-Encoding');
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.status(body.statusCode).json(body);
    }
    else res.end();
  }
}
