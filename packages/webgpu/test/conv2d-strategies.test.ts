import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv2d, conv2dWeightGrad, manualSeed, randn, registerBackend, unregisterBackend, type Conv2dOptions } from '@fathom/core';
import { runConformance } from '@fathom/core/testing';
import { setConvStrategy, type ConvStrategy } from '../src/kernels/conv2d.js';
import { backendOrReason, noAdapter } from './adapter.js';

// The backend picks the implicit-GEMM convolution kernels above a size most
// kit cases stay under; here the kit's convolution cases run through each
// strategy, so both kernels of conv2d and of its input gradient are checked.
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

  // The kit's weight gradients are too short in K for the GEMM to split it;
  // these are long enough for several slices and the reduce that sums them.
  const CASES: { name: string; x: number[]; w: number[]; options: Conv2dOptions }[] = [
    { name: 'K = 1600 in 7 slices', x: [4, 3, 20, 20], w: [5, 3, 3, 3], options: { padding: 1 } },
    { name: 'groups 2, stride 2, dilation 2', x: [3, 4, 23, 21], w: [6, 2, 3, 3], options: { groups: 2, stride: 2, dilation: 2, padding: 2 } },
  ];
  for (const c of CASES) {
    it(`split-K weight gradient: ${c.name}`, async () => {
      manualSeed(7);
      const x = randn(c.x);
      const gradOut = randn(conv2d(x, randn(c.w), c.options).shape);
      const expected = await conv2dWeightGrad(x, gradOut, c.w, c.options).data();
      setConvStrategy('gemm');
      const actual = await conv2dWeightGrad(x.to('webgpu'), gradOut.to('webgpu'), c.w, c.options).data();
      setConvStrategy();
      expect(actual.length).toBe(expected.length);
      expected.forEach((e, i) => expect(Math.abs(actual[i] - e)).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(e)));
    });
  }
} else noAdapter({ it }, found.reason);
