import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Puts dist/*.wasm in place first: a copy of prebuilt/, or a compile of csrc/ after a C change (needs clang then).
    globalSetup: ['./test/build-wasm.setup.ts'],
    // Generous: CI's 2 cores run several packages' suites at once.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
  },
});
