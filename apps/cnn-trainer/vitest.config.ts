import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Generous: CI's 2 cores run several packages' suites at once.
    // VGG and AlexNet runs build, train, validate and checkpoint 60–140M weights: ~40 s alone, more under CI's load.
    testTimeout: 240_000,
    hookTimeout: 60_000,
  },
});
