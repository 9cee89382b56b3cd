import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isFloating, isTensorLike, manualSeed, randint, randn, registerBackend, scope, tensor, unregisterBackend, type Backend, type Tensor,
} from '@fathom/core';
import { assertClose, toleranceFor, type Tolerance } from '@fathom/core/testing';
import { noGrad, useAutograd } from '@fathom/autograd';
import {
  AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv2d, crossEntropy, Dropout, Embedding, GRU, LayerNorm, Linear, LSTM, MaxPool2d, mseLoss, type Module,
} from '../src/index.js';
import { backendOrReason, noBackend, type BackendName } from './backend-or-reason.js';

useAutograd();

// Each layer, built from the same seed, runs on the CPU in float64 (the reference: the float32
// initial weights and inputs, widened) and on the backend in float32 after `module.to(device)`.
// Forward outputs (and BatchNorm's running statistics) are held to TESTING.md's T3 tolerance for
// the backend, the gradients of Σ out·r (r a fixed, uneven weighting) with respect to every float
// input and parameter to its gradient tolerance (atol 1e-4, rtol 1e-3).

const GRADIENT_TOLERANCE: Tolerance = { atol: 1e-4, rtol: 1e-3 };
const SEED = 5;

type Outputs = Tensor | Readonly<Record<string, Tensor>>;

interface LayerCase {
  readonly name: string;
  /** The module (null for a loss function) and its forward pass; built on the CPU in float32. */
  make(): { module: Module | null; forward(inputs: readonly Tensor[]): Outputs };
  /** The inputs, float32 or int32, on the CPU. */
  inputs(): Tensor[];
}

// Puts seeded, uneven values into a module's parameters (BatchNorm and LayerNorm start at ones and
// zeros, which would hide a kernel that ignores the scale or the shift) and, optionally, buffers.
function randomize<M extends Module>(module: M, buffers: Record<string, () => Tensor> = {}): M {
  noGrad(() => {
    for (const p of module.parameters()) p.copy_(randn(p.shape).mul(0.5).add(1));
    const state = module.stateDict();
    for (const [name, make] of Object.entries(buffers)) state[name].copy_(make());
  });
  return module;
}

const single = (make: () => Module & { forward(x: Tensor): Tensor }) => () => {
  const module = make();
  return { module, forward: ([x]: readonly Tensor[]) => module.forward(x) };
};

const cases: LayerCase[] = [
  { name: 'Linear on (N, in)', make: single(() => new Linear(5, 3)), inputs: () => [randn([4, 5])] },
  { name: 'Linear on (N, T, in), no bias', make: single(() => new Linear(5, 3, { bias: false })), inputs: () => [randn([2, 3, 5])] },
  { name: 'Conv2d, stride 2, padding 1', make: single(() => new Conv2d(3, 4, 3, { stride: 2, padding: 1 })), inputs: () => [randn([2, 3, 7, 7])] },
  {
    name: 'Conv2d, groups 2, dilation 2, no bias',
    make: single(() => new Conv2d(4, 6, 3, { groups: 2, dilation: 2, bias: false })),
    inputs: () => [randn([2, 4, 9, 8])],
  },
  { name: 'BatchNorm2d in training mode (and its running statistics)', make: single(() => randomize(new BatchNorm2d(3))), inputs: () => [randn([4, 3, 5, 5]).mul(2).add(0.5)] },
  {
    name: 'BatchNorm2d in eval mode',
    make: single(() => randomize(new BatchNorm2d(3), { running_mean: () => randn([3]), running_var: () => randn([3]).abs().add(0.5) }).eval()),
    inputs: () => [randn([4, 3, 5, 5])],
  },
  { name: 'LayerNorm over the last dim', make: single(() => randomize(new LayerNorm(6))), inputs: () => [randn([2, 3, 6]).mul(3)] },
  { name: 'LayerNorm over the last two dims', make: single(() => randomize(new LayerNorm([3, 6]))), inputs: () => [randn([2, 3, 6])] },
  { name: 'MaxPool2d 2×2', make: single(() => new MaxPool2d(2)), inputs: () => [randn([2, 3, 6, 6])] },
  { name: 'MaxPool2d 3×3, stride 2, padding 1', make: single(() => new MaxPool2d(3, { stride: 2, padding: 1 })), inputs: () => [randn([2, 2, 7, 7])] },
  { name: 'AvgPool2d 3×3, stride 2, padding 1', make: single(() => new AvgPool2d(3, { stride: 2, padding: 1 })), inputs: () => [randn([2, 2, 7, 7])] },
  {
    name: 'AvgPool2d 2×2, countIncludePad false, ceilMode',
    make: single(() => new AvgPool2d(2, { padding: 1, countIncludePad: false, ceilMode: true })),
    inputs: () => [randn([1, 2, 5, 6])],
  },
  { name: 'AdaptiveAvgPool2d to 2×3 (uneven windows)', make: single(() => new AdaptiveAvgPool2d([2, 3])), inputs: () => [randn([2, 3, 7, 8])] },
  { name: 'AdaptiveAvgPool2d to 1 (global)', make: single(() => new AdaptiveAvgPool2d(1)), inputs: () => [randn([2, 3, 4, 5])] },
  {
    name: 'Embedding, repeated indices',
    make: single(() => new Embedding(10, 4)),
    inputs: () => [tensor([[1, 3, 3, 0], [9, 1, 3, 7], [2, 2, 2, 5]], { dtype: 'int32' })],
  },
  {
    name: 'Embedding with paddingIdx',
    make: single(() => new Embedding(6, 3, { paddingIdx: 2 })),
    inputs: () => [tensor([[2, 0, 5], [1, 2, 2]], { dtype: 'int32' })],
  },
  {
    name: 'LSTM, 2 layers, batchFirst, given h0 and c0',
    make: () => {
      const module = new LSTM(4, 5, { numLayers: 2, batchFirst: true });
      return { module, forward: ([x, h0, c0]: readonly Tensor[]) => ({ ...module.forward(x, h0, c0) }) };
    },
    inputs: () => [randn([3, 6, 4]), randn([2, 3, 5]).mul(0.5), randn([2, 3, 5]).mul(0.5)],
  },
  {
    name: 'LSTM, bidirectional, 2 layers, given h0 and c0',
    make: () => {
      const module = new LSTM(4, 5, { numLayers: 2, bidirectional: true });
      return { module, forward: ([x, h0, c0]: readonly Tensor[]) => ({ ...module.forward(x, h0, c0) }) };
    },
    inputs: () => [randn([6, 3, 4]), randn([4, 3, 5]).mul(0.5), randn([4, 3, 5]).mul(0.5)],
  },
  {
    name: 'GRU, (T, N, in), zero initial state',
    make: () => {
      const module = new GRU(4, 5);
      return { module, forward: ([x]: readonly Tensor[]) => ({ ...module.forward(x) }) };
    },
    inputs: () => [randn([6, 3, 4])],
  },
  { name: 'Dropout in eval mode is the identity', make: single(() => new Dropout(0.5).eval()), inputs: () => [randn([4, 6])] },
  {
    name: 'crossEntropy with class weights and label smoothing',
    make: () => {
      const weight = tensor([1, 2, 0.5, 1.5, 1]);
      return {
        module: null,
        forward: ([logits, target]: readonly Tensor[]) => crossEntropy(logits, target, { weight: weight.to(logits.device).to(logits.dtype), labelSmoothing: 0.1 }),
      };
    },
    inputs: () => [randn([6, 5]).mul(2), randint(0, 5, [6], { dtype: 'int32' })],
  },
  {
    name: 'crossEntropy over (N, C, d) with the default mean',
    make: () => ({ module: null, forward: ([logits, target]: readonly Tensor[]) => crossEntropy(logits, target) }),
    inputs: () => [randn([3, 4, 5]), randint(0, 4, [3, 5], { dtype: 'int32' })],
  },
  { name: 'mseLoss', make: () => ({ module: null, forward: ([a, b]: readonly Tensor[]) => mseLoss(a, b) }), inputs: () => [randn([4, 3]), randn([4, 3])] },
];

interface Reading {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/**
 * Runs one case on `device` in `dtype`: the forward outputs, the module's floating buffers after
 * it, and the gradients of Σ out·r with respect to each float input and each parameter, read back
 * as float64 and keyed `output …`, `buffer …`, `grad …`.
 */
async function runCase(layerCase: LayerCase, device: string, dtype: 'float32' | 'float64'): Promise<Map<string, Reading>> {
  manualSeed(SEED);
  const { module, forward } = layerCase.make();
  const inputs = layerCase.inputs();
  if (module && dtype !== 'float32') module.to(dtype);
  if (module && device !== 'cpu') module.to(device);
  const results = scope(() => {
    const leaves = inputs.map((t) => {
      const moved = (isFloating(t.dtype) ? t.to(dtype) : t).to(device);
      return isFloating(moved.dtype) ? moved.detach().setRequiresGrad(true) : moved;
    });
    const produced = forward(leaves);
    const outputs: Readonly<Record<string, Tensor>> = isTensorLike(produced) ? { out: produced } : produced;
    const found: Record<string, Tensor> = {};
    let total: Tensor | null = null;
    for (const [name, out] of Object.entries(outputs)) {
      // A layer that quietly computed elsewhere (or in another dtype) would compare well and test nothing.
      if (out.device !== device || out.dtype !== dtype) throw new Error(`${layerCase.name}: output ${name} is ${out.dtype} on '${out.device}', not ${dtype} on '${device}'`);
      found[`output ${name}`] = out;
      if (!out.requiresGrad) continue;
      const weights = Float64Array.from({ length: out.numel }, (_, i) => Math.sin(i + 1));
      const term = out.mul(tensor(weights, { shape: out.shape, dtype: out.dtype, device })).sum();
      total = total ? total.add(term) : term;
    }
    for (const [name, buffer] of module?.namedBuffers() ?? []) if (isFloating(buffer.dtype)) found[`buffer ${name}`] = buffer;
    if (total) {
      total.backward();
      leaves.forEach((leaf, k) => { if (leaf.requiresGrad) found[`grad input ${k}`] = leaf.grad ?? leaf.newZeros(leaf.shape); });
      for (const [name, p] of module?.namedParameters() ?? []) found[`grad ${name}`] = p.grad ?? p.newZeros(p.shape);
    }
    return found;
  });
  const readings = new Map<string, Reading>();
  for (const [key, t] of Object.entries(results)) readings.set(key, { shape: [...t.shape], data: Float64Array.from(await t.data()) });
  Object.values(results).forEach((t) => t.dispose());
  inputs.forEach((t) => t.dispose());
  if (module) {
    module.zeroGrad();
    [...module.parameters(), ...module.buffers()].forEach((t) => t.dispose());
  }
  return readings;
}

function compare(actual: Map<string, Reading>, expected: Map<string, Reading>, device: string, context: string): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [key, reference] of expected) {
    const got = actual.get(key)!;
    const tolerance = key.startsWith('grad') ? GRADIENT_TOLERANCE : toleranceFor(device, 'T3');
    assertClose({ ...got, dtype: 'float32' }, { ...reference, dtype: 'float32' }, tolerance, `${context} on ${device}: ${key}`);
  }
}

for (const name of ['wasm', 'webgpu'] as const satisfies readonly BackendName[]) {
  const found = await backendOrReason(name);
  if (!('backend' in found)) {
    noBackend({ it }, name, found.reason);
    continue;
  }
  const backend: Backend = found.backend;
  describe(`layers on ${name} (float32) match the CPU in float64`, () => {
    beforeAll(() => { registerBackend(backend); });
    afterAll(async () => {
      unregisterBackend(backend.name);
      await backend.destroy();
    });

    for (const layerCase of cases) {
      it(layerCase.name, async () => {
        const reference = await runCase(layerCase, 'cpu', 'float64');
        const actual = await runCase(layerCase, backend.name, 'float32');
        compare(actual, reference, backend.name, layerCase.name);
      });
    }

    it('Dropout in training mode draws the same mask as the CPU from the same seed', async () => {
      const layerCase: LayerCase = { name: 'Dropout(0.3), training', make: single(() => new Dropout(0.3)), inputs: () => [randn([8, 16]).abs().add(0.1)] };
      const reference = await runCase(layerCase, 'cpu', 'float32');
      const actual = await runCase(layerCase, backend.name, 'float32');
      compare(actual, reference, backend.name, layerCase.name);
      const kept = reference.get('output out')!.data.filter((v) => v !== 0).length;
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(128);
    });
  });
}
