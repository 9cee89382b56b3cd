export { createWasmBackend, wasm } from './create-wasm-backend.js';
export type { WasmBackend, WasmBackendOptions, WasmHeapStats } from './wasm-backend.js';
export type { HeapStats } from './heap.js';
