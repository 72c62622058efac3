import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// One `npm test` runs every tier; each tier is a project so services start only where needed.
export default defineConfig({
  test: {
    // Vitest's default is one worker fewer than the cores: one on the 2-core machine CI runs on, so every file would
    // wait for the one before it while most of them wait on PostgreSQL, the stack or a child process. Three at least
    // (on 2 cores a clean clone's run took 562 s with two, 548 s with three); at most four, so a large machine does not
    // open more connections and browsers than the services expect.
    maxWorkers: Math.min(4, Math.max(3, availableParallelism() - 1)),
    // Handlers log JSON for CloudWatch; in a test run that is noise. Set POWERTOOLS_LOG_LEVEL=DEBUG to see it.
    env: { POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT' },
    // expect.poll gives up after 1 s by default, which a busy machine's browser or stack can miss.
    expect: { poll: { timeout: 30_000 } },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          globalSetup: ['test/support/ffmpeg-setup.ts', 'test/support/assembly-setup.ts'],
          testTimeout: 180_000,
          // The real `cdk synth` with bundling (test/infra/bundle.test.ts) took over 180 s beside an ffmpeg encode
          // on a loaded 2-core machine.
          hookTimeout: 600_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/integration-env.ts'],
          // ffmpeg encodes take minutes on a machine loaded many times over its cores (seen: 120 s missed).
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/e2e-setup.ts'],
          testTimeout: 240_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
