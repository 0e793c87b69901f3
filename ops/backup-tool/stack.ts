import { loadConfig, redactUrl, type StorageConfig } from '@nebula/shared';

/** Where a Nebula keeps its state: the database to dump or load, and its object storage. */
export interface Stack {
  databaseUrl: string;
  storage: StorageConfig;
  /** For messages: which Nebula this is. */
  description: string;
  /** Stops what was started to reach the stack (the Postgres of a stopped embedded stack). */
  close: () => Promise<void>;
}

export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

/** Which stack the run was started for: ops/backup --compose runs this tool inside the compose stack. */
export type StackKind = 'embedded' | 'compose';

/**
 * The Nebula to back up or restore into, from the same settings the gateway reads:
 * - DATABASE_URL set: that database, and the storage that NEBULA_STORAGE_DRIVER, NEBULA_DATA_DIR
 *   (`fs`) or S3_* (`s3`) describe, as for a gateway started by hand. This is also how the compose
 *   stack is reached: ops/backup --compose runs this tool in a one-off container of the gateway's
 *   image, with the gateway service's environment.
 * - otherwise the embedded stack of `npm start` (embedded-stack.ts, loaded only then: the
 *   gateway's image has no embedded Postgres).
 */
export async function openStack(env: NodeJS.ProcessEnv, root: string, say: (line: string) => void, kind: StackKind): Promise<Stack> {
  if (env.DATABASE_URL) {
    const config = loadConfig({ ...env, REDIS_URL: env.REDIS_URL || 'redis://127.0.0.1:6379' });
    const description = kind === 'compose' ? 'the Docker Compose stack' : `the Nebula at ${redactUrl(config.databaseUrl)}`;
    return { databaseUrl: config.databaseUrl, storage: config.storage, description, close: async () => undefined };
  }
  if (kind === 'compose') throw new BackupError('the compose stack\'s settings are missing (no DATABASE_URL): run this through ops/backup --compose or ops/restore --compose');
  const { openEmbeddedStack } = await import('./embedded-stack');
  return openEmbeddedStack(env, root, say);
}
