import type { DataSourceOptions } from 'typeorm';
import { EventRecord } from '../events/event.entity';
import { CreateEvents1763800000000 } from './migrations/1763800000000-create-events';

export const entities = [EventRecord];
export const migrations = [CreateEvents1763800000000];

/** One description of the database for the app, the migrate script and the tests. */
export function dataSourceOptions(databaseUrl: string): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities,
    migrations,
    // The schema only ever changes through migrations, never from entity definitions.
    synchronize: false,
    migrationsTransactionMode: 'each',
    connectTimeoutMS: 5000,
  };
}
