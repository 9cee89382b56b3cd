import { createWasmBackendOn, type WasmBackend, type WasmBackendOptions } from '../wasm-backend.js';
import { nodePlatform } from './node-platform.js';

export type { WasmBackend, WasmBackendOptions, WasmHeapStats } from '../wasm-backend.js';

/**
 * The WebAssembly backend in Node: SIMD kernels on `threads` worker threads
 * (default: `os.availableParallelism()`) sharing one WebAssembly memory.
 *
 * ```ts
 * import { useDevice } from '@fathom/core';
 * import { createWasmBackend } from '@fathom/wasm/node';
 * await useDevice(createWasmBackend({ threads: 2 }));
 * ```
 */
export function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  return createWasmBackendOn(nodePlatform, options);
}

/** Short for {@link createWasmBackend}: `await useDevice(wasm())`. */
export const wasm = createWasmBackend;
