import { Controller, Get, Header, Param, ParseIntPipe, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { DeployRecord } from '@nebula/contract';
import { DeployHistoryRepository } from './deploy-history.repository';
import { NotFoundError } from '../errors/domain-errors';

@ApiTags('deploys')
@Controller('api/deploys')
export class DeploysController {
  constructor(private readonly history: DeployHistoryRepository) {}

  @Get()
  @ApiOperation({ summary: 'Deploy history written by the push-to-deploy hook, newest first (?limit=20)' })
  async list(@Query('limit', new ParseIntPipe({ optional: true })) limit = 20): Promise<DeployRecord[]> {
    return (await this.history.all()).reverse().slice(0, Math.max(1, Math.min(limit, 500)));
  }

  @Get(':id/log')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOperation({ summary: 'Everything one deploy printed' })
  async log(@Param('id') id: string): Promise<string> {
    const record = (await this.history.all()).find((r) => r.id === id);
    const text = record ? await this.history.log(record) : null;
    if (text === null) throw new NotFoundError('not_found', `no deploy log for ${id}`);
    return text;
  }
}
