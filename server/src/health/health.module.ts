import { Module } from '@nestjs/common';
import { WorkerPingClient } from '../queue/worker-ping.client';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';

@Module({
  controllers: [HealthController],
  providers: [HealthService, WorkerPingClient],
})
export class HealthModule {}
