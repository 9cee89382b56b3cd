import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    // One Chromium serves every file: one file at a time, so a wasm pool's
    // threads or SwiftShader do not fight another suite for CI's 2 cores.
    fileParallelism: false,
    // The whole kit runs inside one test per device.
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
