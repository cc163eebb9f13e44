import { defineConfig } from 'vitest/config';

// Unit tests sit next to the code they prove (src/**/*.test.ts); integration tests that start real
// processes (registry server, etcd, chromium) live in test/. Two cores: keep parallelism modest so
// timing-sensitive integration tests are not starved.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    reporters: ['default'],
    // PROXIMA_PROPERTY_SEED / _PATH replay a property test's failure (fast-check prints both).
    setupFiles: ['test/support/fast-check-setup.ts'],
  },
});
