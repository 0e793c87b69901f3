import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Config } from '@nebula/shared';
import { CONFIG } from '../config/config.module';
import { dataSourceOptions } from './data-source-options';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [CONFIG],
      useFactory: (config: Config) => ({
        ...dataSourceOptions(config.databaseUrl),
        migrationsRun: config.migrateOnStart,
        // main.ts has already proven the database is reachable; a failure here is real, not a race.
        retryAttempts: 0,
      }),
    }),
  ],
})
export class DatabaseModule {}
