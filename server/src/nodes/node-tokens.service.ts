import { Inject, Injectable } from '@nestjs/common';
import type { NewNodeTokenDto, NodeJoinDto, NodeTokenDto } from '@nebula/contract';
import type { Config } from '@nebula/shared';
import { CONFIG } from '../config/config.module';
import { NotFoundError, UnauthorizedError } from '../errors/domain-errors';
import { joinSettings } from './join-settings';
import { bearerToken, hashJoinToken, newJoinToken } from './join-token';
import { NodeTokensRepository } from './node-tokens.repository';

/** Join tokens: made and revoked by whoever may use the API, presented by worker nodes. */
@Injectable()
export class NodeTokensService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly tokens: NodeTokensRepository,
  ) {}

  async create(name: string | null, createdBy: string | null): Promise<NewNodeTokenDto> {
    const made = newJoinToken();
    const stored = await this.tokens.insert({ id: made.id, hash: made.hash, name, createdBy });
    return { ...stored, token: made.token };
  }

  list(): Promise<NodeTokenDto[]> {
    return this.tokens.all();
  }

  async revoke(id: string): Promise<void> {
    if (!(await this.tokens.delete(id))) throw new NotFoundError('not_found', `there is no join token ${id} (nebula node token --list shows them)`);
  }

  /** The id of the token an `Authorization` header carries; UnauthorizedError when it carries none or an unknown one. */
  async authenticate(authorization: string | undefined): Promise<string> {
    const id = await this.tokens.idOf(hashOf(authorization));
    if (!id) throw invalidToken();
    return id;
  }

  /** A node joins: its settings, with the token's use recorded under the node's name. */
  async join(authorization: string | undefined, nodeName: string | null, reachedAs: string | undefined): Promise<NodeJoinDto> {
    if (!(await this.tokens.used(hashOf(authorization), nodeName))) throw invalidToken();
    return joinSettings(this.config, reachedAs);
  }
}

function hashOf(authorization: string | undefined): string {
  const token = bearerToken(authorization);
  if (token === undefined) {
    throw new UnauthorizedError('join_token_required', 'this is for worker nodes: send the join token as `Authorization: Bearer <token>` (`nebula node token` makes one)');
  }
  // Text that cannot be a token is looked up as a hash nothing has, to answer exactly like an unknown one.
  return hashJoinToken(token) ?? '-';
}

function invalidToken(): UnauthorizedError {
  return new UnauthorizedError('join_token_invalid', 'this server does not know that join token (it is wrong, or was revoked): make a new one with `nebula node token`');
}
