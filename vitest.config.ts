import { defineConfig } from 'vitest/config';

// Tests import workspace libraries from their TypeScript sources (the `@chom/source`
// export condition), so a test run never waits on, or reads a stale, `dist/`.
// No 'module': it selects builds meant for bundlers (e.g. @opentelemetry/api's extensionless ESM), which Node cannot load.
const conditions = ['@chom/source', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@chom/source'] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{libs,services}/*/src/**/*.unit.test.ts', 'deploy/test/**/*.unit.test.ts'],
          environment: 'node',
        },
      },
      {
        extends: true,
        test: {
          name: 'int',
          include: ['{libs,services}/*/test/**/*.int.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['deploy/local/test/**/*.e2e.test.ts'],
          environment: 'node',
          testTimeout: 240_000,
          hookTimeout: 120_000,
          // One whole system of processes at a time, after the unit and integration files
          // (group 0) are done, so the stacks never compete with them for CPU and connections.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
