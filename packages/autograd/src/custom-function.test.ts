import { describe, expect, it } from 'vitest';
import { isFathomError, manualSeed, memoryStats, randn, scope, tensor, type Tensor } from '@fathom/core';
import { customFunction } from './custom-function.js';
import { gradcheck } from './gradcheck.js';
import { noGrad } from './grad-mode.js';
import { useAutograd } from './use-autograd.js';

useAutograd();

const values = (t: Tensor | null) => Array.from(t!.dataSync());

// x ↦ x³ with the derivative written by hand.
const cube = customFunction('cube', {
  forward: (x) => ({ output: x.mul(x).mul(x), saved: [x] }),
  backward: (grad, { saved: [x] }) => [grad.mul(x.square()).mul(3)],
});

// Normalisation over dim 0 scaled per column, (N, C) → (N, C), with the closed-form backward
// batch normalization uses: dx = w·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)), dw = Σ dy·x̂.
const normalize = customFunction<{ count: number }>('normalize', {
  forward(x, weight) {
    const mean = x.mean(0, true); // (1, C)
    const invstd = x.sub(mean).square().mean(0, true).add(1e-5).rsqrt(); // (1, C)
    const normalized = x.sub(mean).mul(invstd); // (N, C)
    return { output: normalized.mul(weight), saved: [normalized, invstd, weight], state: { count: x.shape[0] } };
  },
  backward(grad, { saved: [normalized, invstd, weight], needsInputGrad }) {
    const meanGrad = grad.mean(0, true);
    const meanGradNormalized = grad.mul(normalized).mean(0, true);
    const dx = needsInputGrad[0] ? grad.sub(meanGrad).sub(normalized.mul(meanGradNormalized)).mul(invstd.mul(weight)) : null;
    const dw = needsInputGrad[1] ? grad.mul(normalized).sum(0) : null;
    return [dx, dw];
  },
});

describe('customFunction', () => {
  it('uses the hand-written backward: x³ at 2 has gradient 12, accumulated like any op', () => {
    const x = tensor([2, -1]).setRequiresGrad();
    const y = cube(x);
    expect(y.requiresGrad).toBe(true);
    expect(y.gradFn!.op).toBe('cube');
    expect(values(y)).toEqual([8, -1]);
    y.sum().backward();
    expect(values(x.grad)).toEqual([12, 3]);
    cube(x).mul(2).sum().backward();
    expect(values(x.grad)).toEqual([36, 9]);
  });

  it('passes gradcheck in float64 (normalisation with a closed-form backward, both inputs)', () => {
    manualSeed(3);
    const x = randn([6, 3], { dtype: 'float64' });
    const weight = randn([3], { dtype: 'float64' });
    expect(() => gradcheck((a, w) => normalize(a, w), [x, weight])).not.toThrow();
    expect(() => gradcheck((a) => cube(a).sin(), [randn([4], { dtype: 'float64' })])).not.toThrow();
  });

  it('tells backward which inputs need a gradient, and sends none to the others', () => {
    const seen: boolean[][] = [];
    const product = customFunction('product', {
      forward: (a, b) => ({ output: a.mul(b), saved: [a, b] }),
      backward: (grad, { saved: [a, b], needsInputGrad }) => {
        seen.push([...needsInputGrad]);
        return [needsInputGrad[0] ? grad.mul(b) : null, needsInputGrad[1] ? grad.mul(a) : null];
      },
    });
    const a = tensor([3]).setRequiresGrad();
    const b = tensor([5]);
    product(a, b).sum().backward();
    expect(seen).toEqual([[true, false]]);
    expect(values(a.grad)).toEqual([5]);
    expect(b.grad).toBeNull();
  });

  it('records nothing when no input requires grad or inside noGrad; forward runs alone', () => {
    let backwards = 0;
    const double = customFunction('double', {
      forward: (x) => ({ output: x.mul(2) }),
      backward: (grad) => { backwards++; return [grad.mul(2)]; },
    });
    expect(double(tensor([1])).requiresGrad).toBe(false);
    const x = tensor([1]).setRequiresGrad();
    expect(noGrad(() => double(x)).requiresGrad).toBe(false);
    // The forward's own ops are never recorded: the node is the function's.
    expect(double(x).gradFn!.op).toBe('double');
    expect(backwards).toBe(0);
  });

  it('gives an input passed through unchanged a node of its own (a copy), leaving the input a leaf', () => {
    const identity = customFunction('identity', { forward: (x) => ({ output: x }), backward: (grad) => [grad.mul(10)] });
    const x = tensor([1, 2]).setRequiresGrad();
    const y = identity(x);
    expect(y).not.toBe(x);
    expect(x.isLeaf).toBe(true);
    y.sum().backward();
    expect(values(x.grad)).toEqual([10, 10]);
  });

  it('refuses a backward that returns the wrong number or shape of gradients, naming the function', () => {
    const wrongCount = customFunction('wrongCount', { forward: (x) => ({ output: x.mul(1) }), backward: (grad) => [grad, grad] });
    expect(() => wrongCount(tensor([1]).setRequiresGrad()).sum().backward()).toThrow(/custom function 'wrongCount': returned 2 gradients for 1 inputs/);
    const wrongShape = customFunction('wrongShape', { forward: (x) => ({ output: x.sum() }), backward: (grad) => [grad] });
    let error: unknown;
    try {
      wrongShape(tensor([1, 2]).setRequiresGrad()).backward();
    } catch (caught) {
      error = caught;
    }
    expect(isFathomError(error, 'ShapeError') && (error as Error).message).toMatch(/backward of 'wrongShape': gradient for input 0 has shape \[\], expected \[2\]/);
  });

  it('releases its saved tensors once backward has passed: live tensors return to where they started', () => {
    const x = randn([4, 3]).setRequiresGrad();
    const weight = randn([3]).setRequiresGrad();
    const step = () => scope(() => normalize(x, weight).square().sum().backward());
    step(); // .grad tensors exist from here on
    const before = memoryStats().tensors;
    for (let i = 0; i < 20; i++) step();
    expect(memoryStats().tensors).toBe(before);
    const y = normalize(x, weight).sum();
    y.backward();
    expect(() => y.backward()).toThrow(/a second time/);
  });
});
