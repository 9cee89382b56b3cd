import { afterEach, describe, expect, it } from 'vitest';
import { installGradientEngine, type GradientEngine } from '../src/backend-entry.js';
import { arange, eye, full, memoryStats, ones, rand, randint, randn, randperm, tensor, zeros, zerosLike } from '../src/index.js';

// A stand-in engine: core only asks whether one is installed before a tensor may require grad.
const engine: GradientEngine = {
  isRecording: () => true,
  record: () => undefined,
  backward: () => undefined,
  retainGrad: () => undefined,
  registerHook: () => () => undefined,
};

describe('creation options', () => {
  afterEach(() => {
    installGradientEngine(null);
  });

  it('requiresGrad makes a leaf that requires grad, with its values in, from every creation function', async () => {
    installGradientEngine(engine);
    const made = [
      tensor([1, 2], { requiresGrad: true }), full([2], 3, { requiresGrad: true }), zeros([2], { requiresGrad: true }),
      ones([2], { requiresGrad: true }), arange(0, 1, 0.5, { requiresGrad: true }), eye(2, 2, { requiresGrad: true }),
      randn([2], { requiresGrad: true }), rand([2], { requiresGrad: true }),
    ];
    for (const t of made) expect(t.requiresGrad, t.madeBy).toBe(true);
    expect(Array.from(await made[1].data())).toEqual([3, 3]);
    expect(randn([2]).requiresGrad).toBe(false);
  });

  it('requiresGrad without an engine, or on integers, is the setter’s clear error', () => {
    expect(() => randn([2], { requiresGrad: true })).toThrow(/no gradient engine is installed; call useAutograd\(\)/);
    installGradientEngine(engine);
    expect(() => randint(0, 5, [3], { requiresGrad: true })).toThrow(/only float tensors can require gradients, this one is int32/);
    expect(() => randperm(3, { requiresGrad: true })).toThrow(/only float tensors can require gradients/);
  });

  it('an unknown option key is an error naming it and what the function takes', () => {
    const before = memoryStats();
    expect(() => randn([2], { requires_grad: true } as never)).toThrow("randn: unknown option 'requires_grad' (it takes dtype, device, requiresGrad, generator)");
    expect(() => zeros([2], { dtpye: 'float64' } as never)).toThrow("full: unknown option 'dtpye' (it takes dtype, device, requiresGrad)");
    expect(() => tensor([1], { shape: [1], device: 'cpu', layout: 'strided' } as never)).toThrow(/tensor: unknown option 'layout' \(it takes dtype, device, requiresGrad, shape\)/);
    expect(() => randint(0, 2, [2], { seed: 1 } as never)).toThrow(/randint: unknown option 'seed'/);
    // Checked before anything is allocated.
    expect(memoryStats()).toEqual(before);
    // What the *Like functions add themselves is known.
    expect(zerosLike(tensor([1, 2], { dtype: 'float64' })).dtype).toBe('float64');
  });
});
