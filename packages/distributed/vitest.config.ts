import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Generous: CI's 2 cores run several packages' suites at once, and each test here starts mpirun.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
