import type { WasmPlatform } from './platform.js';
import { createWasmBackendOn, type WasmBackend, type WasmBackendOptions } from './wasm-backend.js';

// Kept in a variable so bundlers for the browser do not follow it into node:fs and node:worker_threads.
const NODE_PLATFORM = './node/node-platform.js';

async function detectPlatform(): Promise<WasmPlatform> {
  const process = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (process?.versions?.node) {
    const { nodePlatform } = (await import(/* @vite-ignore */ NODE_PLATFORM)) as { nodePlatform: WasmPlatform };
    return nodePlatform;
  }
  const { browserPlatform } = await import('./browser-platform.js');
  return browserPlatform;
}

/**
 * The WebAssembly backend, device `'wasm'`: 128-bit SIMD kernels (packed
 * SGEMM, im2col convolution, fused elementwise and reduction loops) on a
 * pool of `threads` threads sharing one WebAssembly memory, where tensors
 * live. In Node the threads are worker_threads (default: one per core); in a
 * browser, Web Workers on cross-origin-isolated pages, else one thread.
 * Holds float32, int32 and bool (float64 stays on `'cpu'`). Call `destroy()`
 * to stop the workers (they never keep a Node process alive).
 *
 * ```ts
 * import { useDevice, randn } from '@fathom/core';
 * import { wasm } from '@fathom/wasm';
 * await useDevice(wasm());
 * const y = randn([256, 256]).matmul(randn([256, 256]));
 * ```
 */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  return createWasmBackendOn(await detectPlatform(), options);
}

/** Short for {@link createWasmBackend}: `await useDevice(wasm())`. */
export const wasm = createWasmBackend;
