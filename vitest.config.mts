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
    // Test files share their worker's module instances (aws-cdk-lib, the SDKs, the engine's synthesis cache and
    // warm handler containers) instead of importing everything again per file: about half the suite's CPU.
    // Files must not depend on a fresh process: every world, port and credential is a file's own, and a test that
    // changes process.env restores it.
    isolate: false,
    // Many suites wait on loopback HTTP and on retry pauses rather than on the CPU: run more files than cores.
    maxWorkers: 3,
  },
});
