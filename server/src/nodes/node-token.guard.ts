import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { NodeTokensService } from './node-tokens.service';

/** Routes for worker nodes only: every request carries a join token the gateway knows (401 otherwise). */
@Injectable()
export class NodeTokenGuard implements CanActivate {
  constructor(private readonly tokens: NodeTokensService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await this.tokens.authenticate(context.switchToHttp().getRequest<Request>().headers.authorization);
    return true;
  }
}
