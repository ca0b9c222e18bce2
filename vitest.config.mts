import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    setupFiles: ['test/setup.ts'],
    // Starts this run's contract-report folder (test/support/contract-runs.ts).
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // Many suites wait on loopback HTTP and on retry pauses rather than on the CPU: run more files than cores.
    maxWorkers: 3,
  },
});
