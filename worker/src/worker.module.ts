import { BullModule } from '@nestjs/bullmq';
import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SYSTEM_QUEUE, MEDIA_HW_QUEUE } from '@nebula/contract';
import { redisOptionsFromUrl, type Config } from '@nebula/shared';
import { countFailures } from '@nebula/shared/runtime';
import { createObjectStorage, ObjectNotFoundError, type ObjectStorage } from '@nebula/shared/storage';
import { CONFIG } from './config';
import { FfmpegRunner } from './media/ffmpeg.runner';
import { MediaPlacement } from './media/media-placement';
import { MediaWorker } from './media/media-worker';
import { MediaRepository } from './media/media.repository';
import { OriginalFiles } from './media/original-file';
import { OBJECT_STORAGE, TranscodeService } from './media/transcode.service';
import { WorkFolders } from './media/work-folders';
import { CapabilitiesService } from './system/capabilities.service';
import { HeartbeatService } from './system/heartbeat.service';
import { NodeRegistry } from './system/node-registry.service';
import { PingProcessor } from './system/ping.processor';
import { WorkerMetrics } from './system/worker-metrics';

@Module({})
export class WorkerModule {
  static forRoot(config: Config): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        // The gateway owns the schema and runs migrations; the worker only reads and writes rows.
        TypeOrmModule.forRoot({ type: 'postgres', url: config.databaseUrl, synchronize: false, retryAttempts: 0, connectTimeoutMS: 5000 }),
        BullModule.forRoot({ connection: redisOptionsFromUrl(config.redisUrl) }),
        BullModule.registerQueue({ name: SYSTEM_QUEUE }, { name: MEDIA_HW_QUEUE }),
      ],
      providers: [
        { provide: CONFIG, useValue: config },
        WorkerMetrics,
        {
          provide: OBJECT_STORAGE,
          inject: [WorkerMetrics],
          useFactory: (metrics: WorkerMetrics) =>
            countFailures(createObjectStorage(config.storage), (operation) => metrics.storageErrors.inc({ operation }), (e) => e instanceof ObjectNotFoundError),
        },
        { provide: WorkFolders, useFactory: () => new WorkFolders() },
        { provide: OriginalFiles, inject: [OBJECT_STORAGE], useFactory: (storage: ObjectStorage) => new OriginalFiles(config, storage) },
        FfmpegRunner,
        CapabilitiesService,
        PingProcessor,
        HeartbeatService,
        NodeRegistry,
        MediaPlacement,
        MediaRepository,
        TranscodeService,
        MediaWorker,
      ],
    };
  }
}
