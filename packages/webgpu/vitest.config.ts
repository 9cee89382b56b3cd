import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Dawn runs in native threads; a process per test file keeps each device
    // (and its teardown) to itself.
    pool: 'forks',
    // lavapipe compiles every pipeline with LLVM on the CPU: first uses are slow.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
