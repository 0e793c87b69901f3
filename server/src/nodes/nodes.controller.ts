import { Body, Controller, Delete, Get, Header, HttpCode, Inject, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import type { NewNodeTokenDto, NodeJoinDto, NodeTokenDto } from '@nebula/contract';
import type { ObjectStorage } from '@nebula/shared/storage';
import type { Caller } from '../access/caller-identity';
import { CurrentCaller } from '../access/current-caller';
import { parseBody } from '../http/zod-body';
import { OBJECT_STORAGE } from '../storage/storage.module';
import { NodeTokenGuard } from './node-token.guard';
import { NodeTokensService } from './node-tokens.service';

const nodeName = z.string().trim().min(1).max(63).regex(/^[\w. -]+$/, 'letters, digits, spaces, dots, dashes or underscores');
const createTokenBody = z.object({ name: nodeName.optional() });
const joinBody = z.object({ name: nodeName.optional() });

/**
 * Worker nodes on other machines (README "Adding a machine"). Join tokens are made, listed and
 * revoked by whoever may use the API (the tailnet guard's rule, as for deploys and replays); a
 * node presents one to join. A token is answered once, when it is made, and never again.
 */
@ApiTags('nodes')
@Controller('api/nodes')
export class NodesController {
  constructor(
    private readonly tokens: NodeTokensService,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
  ) {}

  @Post('tokens')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'A new join token for a worker node (shown only in this answer)' })
  create(@Body() body: unknown, @CurrentCaller() caller: Caller): Promise<NewNodeTokenDto> {
    const { name } = parseBody(createTokenBody, body);
    return this.tokens.create(name ?? null, caller.user ?? caller.name ?? null);
  }

  @Get('tokens')
  @ApiOperation({ summary: 'Join tokens (never the tokens themselves): id, name, who made it, last use' })
  list(): Promise<NodeTokenDto[]> {
    return this.tokens.list();
  }

  @Delete('tokens/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a join token: nodes using it are refused from the next request on' })
  revoke(@Param('id') id: string): Promise<void> {
    return this.tokens.revoke(id);
  }

  @Post('join')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'A worker node joins (join token as a bearer): where the queue, the database and the object store are' })
  join(@Body() body: unknown, @Req() req: Request): Promise<NodeJoinDto> {
    const { name } = parseBody(joinBody, body);
    return this.tokens.join(req.headers.authorization, name ?? null, req.headers.host);
  }

  @Get('storage-check')
  @UseGuards(NodeTokenGuard)
  @HttpCode(204)
  @ApiOperation({ summary: 'For a joined node: 204 when the gateway can read and write its object store' })
  async storageCheck(): Promise<void> {
    await this.storage.check();
  }
}
