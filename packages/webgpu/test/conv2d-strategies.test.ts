import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv2d, conv2dInputGrad, conv2dWeightGrad, manualSeed, randn, registerBackend, unregisterBackend, type Conv2dOptions, type Tensor } from '@fathom/core';
import { runConformance } from '@fathom/core/testing';
import { setConvStrategy, type ConvStrategy } from '../src/kernels/conv2d.js';
import { setDirectTile, type DirectTile } from '../src/kernels/conv2d-direct.js';
import { backendOrReason, noAdapter } from './adapter.js';

// The backend picks the implicit-GEMM convolution kernels or the direct
// ones by the layer and the adapter; here the kit's convolution cases run
// through each strategy, the direct kernels with a GPU's tile (8 channels,
// one item an invocation) and with lavapipe's CPU tile (16 channels, 4 or
// 16 items), so every kernel of every pass is checked on any adapter.
// (The largest tile compiles slowly on lavapipe: it runs the cases below only.)
const VARIANTS: { name: string; strategy: ConvStrategy; tile?: DirectTile; casesOnly?: boolean }[] = [
  { name: 'gemm', strategy: 'gemm' },
  { name: 'direct, 8 channels × 1 item', strategy: 'direct', tile: { block: 8, items: 1 } },
  { name: 'direct, 16 channels × 4 items', strategy: 'direct', tile: { block: 16, items: 4 } },
  { name: 'direct, 16 channels × 16 items', strategy: 'direct', tile: { block: 16, items: 16 }, casesOnly: true },
];

function use(variant: (typeof VARIANTS)[number] | undefined): void {
  setConvStrategy(variant?.strategy);
  setDirectTile(variant?.tile);
}

const found = await backendOrReason();
if ('backend' in found) {
  const { backend } = found;
  beforeAll(() => {
    registerBackend(backend);
  });
  afterAll(async () => {
    unregisterBackend(backend.name);
    use(undefined);
    await backend.destroy();
  });
  for (const variant of VARIANTS.filter((v) => !v.casesOnly)) {
    describe(`${variant.name} convolutions`, () => {
      beforeAll(() => use(variant));
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
      for (const variant of VARIANTS) {
        it(`${variant.name} ${op}: ${c.name}`, async () => {
          manualSeed(7);
          const x = randn(c.x);
          const w = randn(c.w);
          const gradOut = randn(conv2d(x, w, c.options).shape);
          const expected = await run(x, w, gradOut, c).data();
          use(variant);
          const actual = await run(x.to('webgpu'), w.to('webgpu'), gradOut.to('webgpu'), c).data();
          use(undefined);
          expect(actual.length).toBe(expected.length);
          expected.forEach((e, i) => expect(Math.abs(actual[i] - e)).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(e)));
        });
      }
    }
  }
} else noAdapter({ it }, found.reason);
