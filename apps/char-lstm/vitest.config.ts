import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Generous: CI's 2 cores run two packages' suites at once.
    testTimeout: 240_000,
    hookTimeout: 60_000,
  },
});
