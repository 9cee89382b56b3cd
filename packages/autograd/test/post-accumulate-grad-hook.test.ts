import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '@fathom/core';
import { registerPostAccumulateGradHook, useAutograd } from '../src/index.js';

useAutograd();

describe('registerPostAccumulateGradHook', () => {
  it('runs after the gradient is added into .grad, sees the accumulated value, once per contribution, and can be removed', () => {
    const w = tensor([1, 2]).setRequiresGrad();
    const seen: number[][] = [];
    const remove = registerPostAccumulateGradHook(w, (t) => seen.push(Array.from(t.grad!.dataSync())));
    w.mul(3).sum().backward(); // d/dw = 3
    expect(seen).toEqual([[3, 3]]);
    w.mul(w).sum().backward(); // adds 2w = [2, 4] on top of [3, 3]: one accumulated value, seen after adding
    expect(seen[seen.length - 1]).toEqual([5, 7]);
    const calls = seen.length;
    remove();
    w.sum().backward();
    expect(seen.length).toBe(calls);
  });

  it('fires in reverse order of use: the last layer first, as data-parallel buckets expect', () => {
    const first = tensor([1]).setRequiresGrad();
    const last = tensor([2]).setRequiresGrad();
    const order: string[] = [];
    registerPostAccumulateGradHook(first, () => order.push('first'));
    registerPostAccumulateGradHook(last, () => order.push('last'));
    first.mul(tensor([3])).exp().mul(last).sum().backward();
    expect(order).toEqual(['last', 'first']);
  });

  it('is refused on a tensor that is not a leaf requiring grad', () => {
    const x = tensor([1]).setRequiresGrad();
    expect(() => registerPostAccumulateGradHook(tensor([1]), () => undefined)).toThrow(/leaf that requires grad/);
    expect(() => registerPostAccumulateGradHook(x.mul(2) as Tensor, () => undefined)).toThrow(/leaf that requires grad/);
  });
});
