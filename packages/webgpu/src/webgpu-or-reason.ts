import { isFathomError } from '@fathom/core';
import { NO_ADAPTER_HELP, type WebGpuOptions } from './backend-on-gpu.js';
import type { WebGpuBackend } from './webgpu-backend.js';
import { webgpu } from './webgpu.js';

/**
 * {@link webgpu}, or why there is no WebGPU here — for code that falls back
 * to another device (an app's `--device auto`, a test suite that skips).
 * Only "no adapter" (or no Dawn) becomes a reason; any other failure throws.
 *
 * ```ts
 * const found = await webgpuOrReason();
 * const device = 'backend' in found ? found.backend : await wasm();
 * ```
 */
export async function webgpuOrReason(options: WebGpuOptions = {}): Promise<{ backend: WebGpuBackend } | { reason: string }> {
  try {
    return { backend: await webgpu(options) };
  } catch (error) {
    if (isFathomError(error, 'DeviceError') && /no WebGPU adapter|cannot load Dawn/.test(error.message)) {
      return { reason: `no WebGPU adapter here: ${NO_ADAPTER_HELP}` };
    }
    throw error;
  }
}
