import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // src only: tsc also compiles the tests into dist/.
    include: ['src/**/*.test.ts'],
    // Generous: CI's 2 cores run several packages' suites at once.
    testTimeout: 60_000,
  },
});
