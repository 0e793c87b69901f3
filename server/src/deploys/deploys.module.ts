import { Module } from '@nestjs/common';
import { DeployHistoryRepository } from './deploy-history.repository';
import { DeploysController } from './deploys.controller';

@Module({ controllers: [DeploysController], providers: [DeployHistoryRepository] })
export class DeploysModule {}
