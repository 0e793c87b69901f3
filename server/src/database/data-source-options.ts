import type { DataSourceOptions } from 'typeorm';
import { Entry } from '../files/entry.entity';
import { CreateEvents1763800000000 } from './migrations/1763800000000-create-events';
import { CreateEntries1763800100000 } from './migrations/1763800100000-create-entries';
import { NotifyEvents1763800200000 } from './migrations/1763800200000-notify-events';
import { CreateMediaAttempts1763800300000 } from './migrations/1763800300000-create-media-attempts';
import { SearchNames1763800400000 } from './migrations/1763800400000-search-names';
import { EntriesSampleHash1763800517000 } from './migrations/1763800517000-entries-sample-hash';
import { CreateNodeTokens1763800600000 } from './migrations/1763800600000-create-node-tokens';

export const entities = [Entry];
export const migrations = [CreateEvents1763800000000, CreateEntries1763800100000, NotifyEvents1763800200000, CreateMediaAttempts1763800300000, SearchNames1763800400000, EntriesSampleHash1763800517000, CreateNodeTokens1763800600000];

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
