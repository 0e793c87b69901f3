import { Module, type DynamicModule } from '@nestjs/common';
import type { Config } from '@nebula/shared';
import { AccessModule } from './access/access.module';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DeploysModule } from './deploys/deploys.module';
import { EventsModule } from './events/events.module';
import { FilesModule } from './files/files.module';
import { HealthModule } from './health/health.module';
import { MediaModule } from './media/media.module';
import { MetricsModule } from './metrics/metrics.module';
import { NodesModule } from './nodes/nodes.module';
import { QueueModule } from './queue/queue.module';
import { StorageModule } from './storage/storage.module';
import { UploadsModule } from './uploads/uploads.module';
import { WebModule } from './web/web.module';

@Module({})
export class AppModule {
  static forRoot(config: Config): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), MetricsModule, AccessModule, DatabaseModule, QueueModule, StorageModule, HealthModule, FilesModule, UploadsModule, DeploysModule, EventsModule, MediaModule, NodesModule, WebModule],
    };
  }
}
