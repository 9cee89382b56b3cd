import { describe, expect, it } from 'vitest';
import { matmul, registerBackend, tensor, unregisterBackend } from '@fathom/core';
import { createWasmBackend, wasm } from '../src/index.js';
import * as node from '../src/node/index.js';

describe('entry points', () => {
  it('the main entry finds the Node platform by itself and runs a kernel', async () => {
    const backend = await createWasmBackend({ threads: 2 });
    try {
      expect(backend.name).toBe('wasm');
      expect(backend.threads).toBe(2);
      registerBackend(backend);
      const a = tensor([[1, 2], [3, 4]], { device: 'wasm' });
      expect(Array.from(await matmul(a, a).data())).toEqual([7, 10, 15, 22]);
      expect(a.toString()).toContain('tensor(');
    } finally {
      unregisterBackend('wasm');
      await backend.destroy();
    }
  });

  it('wasm is createWasmBackend, in both entries', () => {
    expect(wasm).toBe(createWasmBackend);
    expect(node.wasm).toBe(node.createWasmBackend);
  });

  it('rejects a thread count that is not a positive integer', async () => {
    await expect(createWasmBackend({ threads: 0 })).rejects.toThrow(/threads must be a positive integer/);
    await expect(createWasmBackend({ threads: 1.5 })).rejects.toThrow(/threads must be a positive integer/);
  });
});
