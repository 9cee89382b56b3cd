import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Builds dist/*.wasm from csrc/ first when a C source is newer (needs clang and lld).
    globalSetup: ['./test/build-wasm.setup.ts'],
    // Generous: CI's 2 cores run several packages' suites at once.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
  },
});
