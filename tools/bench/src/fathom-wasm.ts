import { registerBackend, unregisterBackend } from '@fathom/core';
import { createWasmBackend, type WasmBackend } from '@fathom/wasm/node';

let backend: WasmBackend | null = null;

/** Creates Fathom's WebAssembly backend with `threads` threads and registers it as device 'wasm' (once per run). */
export async function initFathomWasm(threads: number): Promise<WasmBackend> {
  backend ??= await createWasmBackend({ threads });
  registerBackend(backend);
  return backend;
}

/** Unregisters and destroys the backend (stops its worker threads). */
export async function closeFathomWasm(): Promise<void> {
  if (!backend) return;
  unregisterBackend(backend.name);
  await backend.destroy();
  backend = null;
}
