import { join } from 'node:path';
import { buildServices } from '../embedded/builds';

/**
 * vitest globalSetup: compile the gateway and worker once, before any test runs them as real
 * processes. Each `npm start` a test runs then finds them up to date and leaves their dist folders
 * alone (servicesBuildIsStale), so no gateway starts from a file being rewritten.
 */
export default async function setup(): Promise<void> {
  // Several projects list this setup; vitest runs them in one process, so build only the first time.
  if (process.env.NEBULA_TEST_BUILT) return;
  process.env.NEBULA_TEST_BUILT = '1';
  await buildServices(join(import.meta.dirname, '..', '..'));
}
