import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFathomError, randn, zeros } from '@fathom/core';
import { backendOrReason, backendWith, noAdapter } from './adapter.js';

// A real GPU running out of memory cannot be arranged on a shared machine, so the test raises the
// error the way Dawn reports one — a GPUOutOfMemoryError in an uncapturederror event on the device —
// and checks that the backend's failure names who holds the memory, as the wasm and cpu backends do.
const found = await backendOrReason();
if ('backend' in found) {
  await found.backend.destroy();
  const dawn = (await import('webgpu')) as unknown as { create(flags: string[]): GPU; globals: Record<string, new (...args: never[]) => unknown> };
  const gpu = dawn.create([]);
  let device: GPUDevice | undefined;
  // The GPU object as the backend sees it, keeping the device it makes so the test can raise an error on it.
  const capturing = {
    async requestAdapter(options?: GPURequestAdapterOptions) {
      const adapter = await gpu.requestAdapter(options);
      if (!adapter) return null;
      const requestDevice = adapter.requestDevice.bind(adapter);
      return Object.assign(adapter, { requestDevice: async (descriptor?: GPUDeviceDescriptor) => (device = await requestDevice(descriptor)) });
    },
  };
  const backend = backendWith({ beforeAll, afterAll }, { gpu: capturing });

  describe('webgpu out of memory', () => {
    it('fails the device with a DeviceError naming the live tensors and the op that made the most', async () => {
      const held = [randn([1024, 1024], { device: 'webgpu' }), randn([1024, 1024], { device: 'webgpu' }), zeros([256], { device: 'webgpu' })];
      await held[0].data();
      const { GPUUncapturedErrorEvent, GPUOutOfMemoryError } = dawn.globals as unknown as {
        GPUUncapturedErrorEvent: new (type: string, init: { error: unknown }) => Event;
        GPUOutOfMemoryError: new (message: string) => unknown;
      };
      (device as GPUDevice).dispatchEvent(new GPUUncapturedErrorEvent('uncapturederror', { error: new GPUOutOfMemoryError('Allocation failed') }));
      let caught: unknown;
      try {
        held[0].add(1);
      } catch (error) {
        caught = error;
      }
      expect(isFathomError(caught)).toBe(true);
      expect((caught as Error).name).toBe('DeviceError');
      expect((caught as Error).message).toMatch(
        new RegExp(`^webgpu: out of memory on adapter '${backend().adapterName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}': Allocation failed; \\d+ live tensors hold [\\d.]+ MiB in \\d+ storages; the largest holders by the op that made them: randn 8\\.0 MiB \\(2\\), `),
      );
    });
  });
} else noAdapter({ it }, found.reason);
