import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
          env: { NODE_ENV: 'test' },
          // Property tests run dozens of cases each; a busy CI machine must not turn them into timeouts.
          testTimeout: 30_000,
          setupFiles: ['test/support/unit-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.integration-spec.ts'],
          env: { NODE_ENV: 'test' },
          globalSetup: ['test/support/integration-global-setup.ts'],
          setupFiles: ['test/support/integration-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e-spec.ts'],
          env: { NODE_ENV: 'test' },
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/e2e-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'reliability',
          include: ['test/reliability/**/*.reliability-spec.ts'],
          env: { NODE_ENV: 'test' },
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/e2e-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'data-access-report',
          include: ['test/architecture/**/*.report.ts'],
          env: { NODE_ENV: 'test' },
        },
      },
    ],
  },
});
