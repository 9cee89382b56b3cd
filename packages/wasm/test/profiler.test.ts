import { describe, expect, it } from 'vitest';
import {
  conv2d, logSoftmax, manualSeed, maxPool2d, profile, profileAsync, randn, type Device, type Tensor,
} from '@fathom/core';
import { registeredWasmBackend } from './registered-backend.js';

registeredWasmBackend();

// A LeNet-like forward: conv → relu → pool → linear → logSoftmax → mean.
function forward(device: Device): { run: () => Tensor } {
  manualSeed(0);
  const x = randn([2, 1, 8, 8], { device }); // (B, C, H, W)
  const kernel = randn([3, 1, 3, 3], { device }); // (O, I, kH, kW)
  const weight = randn([3 * 3 * 3, 5], { device }); // (in, out)
  const bias = randn([5], { device });
  return {
    run: () => {
      const features = maxPool2d(conv2d(x, kernel).relu(), 2); // (B, 3, 3, 3)
      const logits = features.reshape([2, 27]).matmul(weight).add(bias); // (B, 5)
      return logSoftmax(logits, 1).mean();
    },
  };
}

describe('profile on wasm', () => {
  it('records the same ops with the same counts as on cpu', async () => {
    const onCpu = profile(forward('cpu').run);
    const onWasm = await profileAsync(forward('wasm').run);
    const names = onWasm.events.map((event) => event.name);
    expect(names).toEqual(onCpu.events.map((event) => event.name));
    expect(names).toContain('conv2d');
    expect(names).toContain('maxPool2d');
    expect(onWasm.keyAverages().map(({ name, calls, bytes }) => ({ name, calls, bytes })))
      .toEqual(onCpu.keyAverages().map(({ name, calls, bytes }) => ({ name, calls, bytes })));
    expect(onWasm.events.every((event) => event.device === 'wasm')).toBe(true);
    // wasm kernels finish before they return (the main thread waits for the workers): host time is kernel time.
    expect(onWasm.asyncDevices).toEqual([]);
    expect(await onWasm.value.item()).toBeCloseTo(await onCpu.value.item(), 4);
  });

  it('adds a convolution\'s bias in the convolution kernel: one conv2d row, no add', () => {
    manualSeed(1);
    const x = randn([2, 3, 12, 12], { device: 'wasm' });
    const weight = randn([4, 3, 3, 3], { device: 'wasm' });
    const bias = randn([4], { device: 'wasm' });
    const run = profile(() => conv2d(x, weight, { bias, padding: 1 }));
    expect(run.events.map(({ name, kernel }) => ({ name, kernel }))).toEqual([{ name: 'conv2d', kernel: 'conv2dWithBias' }]);
  });
});
