import { Module } from '@nestjs/common';
import { WorkerPingClient } from '../queue/worker-ping.client';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { NodeDirectory } from './node-directory';
import { VersionController } from './version.controller';

@Module({
  controllers: [HealthController, VersionController],
  providers: [HealthService, WorkerPingClient, NodeDirectory],
})
export class HealthModule {}
