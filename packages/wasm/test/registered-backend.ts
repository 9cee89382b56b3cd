import { afterAll, beforeAll } from 'vitest';
import { registerBackend, unregisterBackend } from '@fathom/core';
import { createWasmBackend, type WasmBackend } from '../src/node/index.js';

/** Registers a fresh wasm backend as device 'wasm' for the file's tests, destroyed after them; the getter returns it once they run. */
export function registeredWasmBackend(): () => WasmBackend {
  let backend: WasmBackend;
  beforeAll(async () => {
    backend = await createWasmBackend();
    registerBackend(backend);
  });
  afterAll(async () => {
    unregisterBackend('wasm');
    await backend.destroy();
  });
  return () => backend;
}
