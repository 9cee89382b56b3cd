import { registerBackend, unregisterBackend } from '@fathom/core';
import { webgpu, webgpuOrReason, type WebGpuBackend, type WebGpuOptions } from '../src/index.js';

/** The backend for a test file, or why there is none (no adapter on this machine). */
export const backendOrReason = webgpuOrReason;

interface Runner {
  it: { (name: string, fn: () => void): void; skip(name: string, fn: () => void): void };
}

/**
 * Registers the one test that stands in for a suite when there is no adapter:
 * skipped on a developer's machine, failed under CI (CI=true), where the
 * WebGPU tests must run (tools/setup-mesa.sh installs lavapipe there).
 */
export function noAdapter(runner: Runner, reason: string): void {
  if (process.env.CI) {
    runner.it('webgpu: an adapter is required under CI', () => {
      throw new Error(reason);
    });
  } else runner.it.skip(`webgpu: skipped, ${reason}`, () => {});
}

interface Hooks {
  beforeAll(fn: () => void): void;
  afterAll(fn: () => Promise<void>): void;
}

interface AsyncHooks {
  beforeAll(fn: () => Promise<void>): void;
  afterAll(fn: () => Promise<void>): void;
}

/** Registers `backend` as device 'webgpu' for the file's tests, then unregisters and destroys it. */
export function useForFile(hooks: Hooks, backend: WebGpuBackend): void {
  hooks.beforeAll(() => {
    registerBackend(backend);
  });
  hooks.afterAll(async () => {
    unregisterBackend(backend.name);
    await backend.destroy();
  });
}

/** Registers a fresh backend made with `options` for the tests of the enclosing describe (or file); the getter returns it once they run. */
export function backendWith(hooks: AsyncHooks, options: WebGpuOptions): () => WebGpuBackend {
  let backend: WebGpuBackend;
  hooks.beforeAll(async () => {
    backend = await webgpu(options);
    registerBackend(backend);
  });
  hooks.afterAll(async () => {
    unregisterBackend(backend.name);
    await backend.destroy();
  });
  return () => backend;
}
