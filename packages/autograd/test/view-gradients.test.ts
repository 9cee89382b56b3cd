import { describe, expect, it } from 'vitest';
import { manualSeed, randn, stack, tensor } from '@fathom/core';
import { gradcheck, useAutograd } from '../src/index.js';

useAutograd();

// Gradients of select/slice taken from a tensor that is not a leaf go into one
// buffer in place (the engine's view path); these cases check it against
// finite differences where view and non-view gradients meet in one tensor.
describe('gradients of views of an intermediate tensor', () => {
  it('a sequence read step by step, as an RNN reads its input', () => {
    manualSeed(3);
    const x = randn([5, 3, 4], { dtype: 'float64' });
    const w = randn([4, 4], { dtype: 'float64' });
    gradcheck((input, weight) => {
      const projected = input.matmul(weight).tanh(); // (T, N, 4), not a leaf
      let h = projected.select(0, 0);
      for (let t = 1; t < 5; t++) h = h.mul(0.5).add(projected.select(0, t)).sin();
      return h.sum();
    }, [x, w]);
  });

  it('selects, strided slices and the whole tensor feeding one gradient', () => {
    manualSeed(4);
    const x = randn([6, 5], { dtype: 'float64' });
    gradcheck((input) => {
      const y = input.exp(); // (6, 5)
      const rows = stack([y.select(0, 1), y.select(0, 1).mul(2), y.select(0, 4)]).square().sum();
      const columns = y.slice(1, 0, 5, 2).mul(y.slice(1, 1, 4, 2).sum(1, true)).sum(); // (6, 3) and (6, 2)
      return rows.add(columns).add(y.sum()).add(y.select(1, -1).pow(3).sum());
    }, [x]);
  });

  it('a gradient handed to two inputs is not changed in place', async () => {
    const x = tensor([1, 2, 3], { dtype: 'float64' }).setRequiresGrad();
    const y = x.mul(2); // (3,)
    // add's backward may give both inputs the same gradient tensor; the select's window must not alter y's share.
    y.add(y.select(0, 0)).sum().backward(); // d/dx = 2·(1 + 3·[i = 0])
    expect(Array.from(await x.grad!.data())).toEqual([8, 2, 2]);
  });
});
