import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildServices } from '../embedded/builds';

/**
 * vitest globalSetup: compile the gateway and worker (and bundle the CLI) once, before any test
 * runs them as real processes. Each `npm start` a test runs then finds them up to date and leaves
 * their dist folders alone (servicesBuildIsStale), so no gateway starts from a file being rewritten.
 */
export default async function setup(): Promise<void> {
  // Several projects list this setup; vitest runs them in one process, so build only the first time.
  if (process.env.NEBULA_TEST_BUILT) return;
  process.env.NEBULA_TEST_BUILT = '1';
  const root = join(import.meta.dirname, '..', '..');
  await buildServices(root);
  // The CLI bundles its sources on its first run (cli/bin/bundle.js): once here, not in each of
  // the first commands the tests start at the same time.
  await promisify(execFile)(process.execPath, [join(root, 'cli', 'bin', 'nebula.js'), '--version']);
}
