import { isFathomError } from '@fathom/core';
import { NO_ADAPTER_HELP, webgpu, type WebGpuBackend } from '../src/index.js';

/** The backend for a test file, or why there is none (no adapter on this machine). */
export async function backendOrReason(): Promise<{ backend: WebGpuBackend } | { reason: string }> {
  try {
    return { backend: await webgpu() };
  } catch (error) {
    if (isFathomError(error, 'DeviceError') && /no WebGPU adapter|cannot load Dawn/.test(error.message)) {
      return { reason: `no WebGPU adapter here: ${NO_ADAPTER_HELP}` };
    }
    throw error;
  }
}

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
