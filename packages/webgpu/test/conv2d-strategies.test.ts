import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv2d, conv2dInputGrad, conv2dWeightGrad, manualSeed, randn, registerBackend, unregisterBackend, type Conv2dOptions, type Tensor } from '@fathom/core';
import { runConformance } from '@fathom/core/testing';
import { setConvStrategy, type ConvStrategy } from '../src/kernels/conv2d.js';
import { backendOrReason, noAdapter } from './adapter.js';

// The backend picks the implicit-GEMM convolution kernels for layers with
// many channels, the direct ones for few; here the kit's convolution cases
// run through each strategy, so both kernels of every pass are checked.
const STRATEGIES: ConvStrategy[] = ['gemm', 'direct'];

const found = await backendOrReason();
if ('backend' in found) {
  const { backend } = found;
  beforeAll(() => {
    registerBackend(backend);
  });
  afterAll(async () => {
    unregisterBackend(backend.name);
    setConvStrategy();
    await backend.destroy();
  });
  for (const strategy of STRATEGIES) {
    describe(`${strategy} convolutions`, () => {
      beforeAll(() => setConvStrategy(strategy));
      runConformance({ backend, harness: { describe, it }, only: ['conv2d', 'conv2dInputGrad', 'conv2dWeightGrad'] });
    });
  }

  // Past the kit's sizes: K long enough for the GEMM's slices and the direct
  // kernel's chunks (each summed by a reduce), and channel counts past the
  // direct kernels' block of 8 (a full block, then a partial one).
  const CASES: { name: string; x: number[]; w: number[]; options: Conv2dOptions }[] = [
    { name: 'K = 1600, 5 output channels', x: [4, 3, 20, 20], w: [5, 3, 3, 3], options: { padding: 1 } },
    { name: 'groups 2, stride 2, dilation 2', x: [3, 4, 23, 21], w: [6, 2, 3, 3], options: { groups: 2, stride: 2, dilation: 2, padding: 2 } },
    { name: '20 channels in groups of 10, 5×5', x: [5, 20, 11, 12], w: [20, 10, 5, 5], options: { groups: 2, padding: 2 } },
    { name: '19 → 11 channels, stride 2', x: [2, 19, 17, 15], w: [11, 19, 3, 3], options: { stride: 2, padding: 1 } },
  ];
  const OPS = {
    forward: (x: Tensor, w: Tensor, gradOut: Tensor, c: (typeof CASES)[number]) => conv2d(x, w, c.options),
    inputGrad: (x: Tensor, w: Tensor, gradOut: Tensor, c: (typeof CASES)[number]) => conv2dInputGrad(gradOut, w, c.x, c.options),
    weightGrad: (x: Tensor, w: Tensor, gradOut: Tensor, c: (typeof CASES)[number]) => conv2dWeightGrad(x, gradOut, c.w, c.options),
  };
  for (const c of CASES) {
    for (const [op, run] of Object.entries(OPS)) {
      for (const strategy of STRATEGIES) {
        it(`${strategy} ${op}: ${c.name}`, async () => {
          manualSeed(7);
          const x = randn(c.x);
          const w = randn(c.w);
          const gradOut = randn(conv2d(x, w, c.options).shape);
          const expected = await run(x, w, gradOut, c).data();
          setConvStrategy(strategy);
          const actual = await run(x.to('webgpu'), w.to('webgpu'), gradOut.to('webgpu'), c).data();
          setConvStrategy();
          expect(actual.length).toBe(expected.length);
          expected.forEach((e, i) => expect(Math.abs(actual[i] - e)).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(e)));
        });
      }
    }
  }
} else noAdapter({ it }, found.reason);
