import type { Backend } from '@fathom/core';
import { wasm } from '@fathom/wasm';
import { webgpuOrReason } from '@fathom/webgpu';

/** The backends the layer tests run on besides the CPU. */
export type BackendName = 'wasm' | 'webgpu';

/**
 * The backend for a test file, or why there is none (no WebGPU adapter on
 * this machine), as packages/webgpu/test/adapter.ts decides it. The wasm
 * backend needs nothing from the machine, so it is always there.
 */
export async function backendOrReason(name: BackendName): Promise<{ backend: Backend } | { reason: string }> {
  return name === 'wasm' ? { backend: await wasm() } : webgpuOrReason();
}

interface Runner {
  it: { (name: string, fn: () => void): void; skip(name: string, fn: () => void): void };
}

/**
 * Registers the one test that stands in for a suite whose backend is missing:
 * skipped on a developer's machine, failed under CI (CI=true), where every
 * backend must run (tools/setup-mesa.sh installs lavapipe there).
 */
export function noBackend(runner: Runner, name: BackendName, reason: string): void {
  if (process.env.CI) {
    runner.it(`${name}: the backend is required under CI`, () => {
      throw new Error(reason);
    });
  } else runner.it.skip(`${name}: skipped, ${reason}`, () => {});
}
