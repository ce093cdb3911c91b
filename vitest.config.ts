import { defineConfig } from 'vitest/config';

// Three levels, one command (`pnpm test`): unit tests need nothing; integration tests talk to real
// Redis, a real S3-compatible server and the fal emulator; e2e tests drive the running stack over HTTP.
// The Redis failover suites (test/ha: Cluster, Sentinel, TLS on servers they start) run after the rest,
// one file at a time: they are CPU-heavy, and timing-sensitive suites must not share the cores with
// them; the chaos suite (test/chaos) runs last of all, for the same reason.
export default defineConfig({
  test: {
    maxWorkers: 2,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'apps/*/src/**/*.test.ts',
            'packages/*/src/**/*.test.ts',
            'scripts/**/*.test.ts',
            'test/**/*.test.ts',
          ],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
        test: {
          name: 'int',
          include: [
            'apps/*/src/**/*.int.test.ts',
            'packages/*/src/**/*.int.test.ts',
            'apps/*/test/**/*.int.test.ts',
            'test/**/*.int.test.ts',
          ],
          exclude: ['test/ha/**', '**/node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'ha',
          include: ['test/ha/**/*.int.test.ts'],
          testTimeout: 150_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          // The short chaos run (~2 min): worker processes, a Redis of its own, faults. Last, after the
          // ha suites, alone on the cores (`pnpm test:chaos` runs it by itself; CHAOS_JOBS for the full size).
          name: 'chaos',
          include: ['test/chaos/**/*.chaos.ts'],
          testTimeout: 120_000,
          hookTimeout: 1_200_000,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
