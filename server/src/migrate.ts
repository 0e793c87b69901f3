import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '@nebula/shared';
import { assertDependenciesReachable, runMain } from '@nebula/shared/runtime';
import { dataSourceOptions } from './database/data-source-options';

/** `node dist/migrate.js`: applies pending migrations and exits; the deploy hook runs it before traffic moves. */
void runMain('nebula migrate', async () => {
  const config = loadConfig();
  await assertDependenciesReachable(config);
  const db = await new DataSource(dataSourceOptions(config.databaseUrl)).initialize();
  try {
    const applied = await db.runMigrations();
    process.stdout.write(applied.length ? `applied ${applied.map((m) => m.name).join(', ')}\n` : 'database is up to date\n');
  } finally {
    await db.destroy();
  }
});
