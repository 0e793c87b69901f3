import swc from 'unplugin-swc';
import { configDefaults, defineConfig } from 'vitest/config';

// NestJS and TypeORM need decorator metadata, which esbuild does not emit: their workspaces
// compile through SWC with the same .swcrc as the build.
const nest = () => swc.vite({ configFile: '.swcrc', module: { type: 'es6' } });

export default defineConfig({
  test: {
    // Real Postgres, Redis, S3 (Ceph RGW: ops/test-support/rgw-setup.ts), ffmpeg and child processes: generous timeouts, no wall-clock assertions.
    testTimeout: 60_000,
    // Two test files at a time, even on CI's 2 cores (vitest's default there is one): most files
    // spend their time waiting on processes (Postgres, ffmpeg, Chromium, Docker), and one at a time
    // took the suite past 18 minutes. Every file already makes its own stack on free ports.
    maxWorkers: 2,
    // The JSON report feeds .ci/run's one-line summary.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    hookTimeout: 120_000,
    // Buffers compared with Buffer.equals instead of element by element (see the file).
    setupFiles: ['ops/test-support/byte-equality.ts'],
    projects: [
      {
        extends: true,
        // The contract package's pure rules (paths, subjects, errors, the API client): no services.
        test: { name: 'contract', include: ['contract/src/**/*.spec.ts'] },
      },
      {
        extends: true,
        test: { name: 'shared', include: ['server/shared/src/**/*.spec.ts', 'server/shared/test/**/*.test.ts'], globalSetup: ['ops/test-support/rgw-setup.ts'] },
      },
      {
        extends: true,
        // The web UI's pure parts; the page itself is tested in Chromium (ops/test/web-*.test.ts).
        test: { name: 'web', include: ['web/src/**/*.spec.ts'] },
      },
      {
        plugins: [nest()],
        extends: true,
        test: { name: 'server', include: ['server/src/**/*.spec.ts', 'server/test/**/*.test.ts'], globalSetup: ['ops/test-support/global-setup.ts', 'ops/test-support/rgw-setup.ts'] },
      },
      {
        plugins: [nest()],
        extends: true,
        test: { name: 'worker', include: ['worker/src/**/*.spec.ts', 'worker/test/**/*.test.ts'], globalSetup: ['ops/test-support/global-setup.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'cli',
          include: ['cli/src/**/*.spec.ts', 'cli/test/**/*.test.ts'],
          // The CLI's integration tests drive the real gateway and worker processes.
          globalSetup: ['ops/test-support/global-setup.ts', 'ops/test-support/rgw-setup.ts', 'ops/test-support/build-once.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'ops',
          include: ['ops/**/*.test.ts', 'hooks/test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'ops/test/compose-e2e.test.ts'],
          globalSetup: ['ops/test-support/global-setup.ts', 'ops/test-support/rgw-setup.ts', 'ops/test-support/build-once.ts'],
        },
      },
      {
        extends: true,
        test: {
          // Docker Compose and `git push` deploys against a real Docker engine (ops/compose-ci):
          // images built, the stack healthy, uploads and transcodes through the containers. Skipped,
          // with one line, only where no engine can be started (not root, no apt).
          name: 'compose',
          include: ['ops/test/compose-e2e.test.ts'],
          globalSetup: ['ops/compose-ci/engine.ts'],
          // Image builds share two cores with everything else in CI.
          testTimeout: 20 * 60_000,
          hookTimeout: 30 * 60_000,
        },
      },
    ],
  },
});
