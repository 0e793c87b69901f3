import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** vitest globalSetup: compile the gateway and worker once, for tests that run them as real processes. */
export default function setup(): void {
  // Several projects list this setup; vitest runs them in one process, so build only the first time.
  if (process.env.NEBULA_TEST_BUILT) return;
  process.env.NEBULA_TEST_BUILT = '1';
  execFileSync('npm', ['run', 'build', '--silent', '-w', '@nebula/contract', '-w', '@nebula/shared', '-w', '@nebula/server', '-w', '@nebula/worker'], {
    cwd: join(import.meta.dirname, '..', '..'),
    stdio: 'inherit',
  });
}
