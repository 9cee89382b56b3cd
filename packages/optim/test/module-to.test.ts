import { describe, expect, it } from 'vitest';
import { manualSeed, memoryStats, randn } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { Linear, mseLoss } from '@fathom/layers';
import { SGD } from '../src/index.js';

useAutograd();

// PyTorch moves a module's parameters in place, so an optimizer made before `model.to(…)` trains
// the moved model. Ours once replaced the tensors: the optimizer held released ones, and step()
// skipped them silently — training ran and learned nothing.
describe('an optimizer made before Module.to()', () => {
  it('updates the moved parameters, in the new dtype', async () => {
    manualSeed(0);
    const model = new Linear(3, 2);
    const optimizer = new SGD(model.parameters(), { lr: 0.5 });
    const before = memoryStats();
    const params = [...model.parameters()];
    model.to('float64');
    for (const [i, p] of [...model.parameters()].entries()) expect(p).toBe(params[i]); // the same objects
    expect(params.map((p) => p.dtype)).toEqual(['float64', 'float64']);
    // The float32 storages went back: as many tensors and twice the bytes of two float32 parameters.
    expect(memoryStats().tensors).toBe(before.tensors);
    expect(memoryStats().bytes - before.bytes).toBe((3 * 2 + 2) * 4);

    const x = randn([4, 3], { dtype: 'float64' });
    const target = randn([4, 2], { dtype: 'float64' });
    mseLoss(model.forward(x), target).backward();
    const start = await Promise.all(params.map((p) => p.data()));
    const grads = await Promise.all(params.map((p) => p.grad!.data()));
    optimizer.step();
    for (const [i, p] of params.entries()) {
      const expected = Array.from(start[i], (v, j) => v - 0.5 * grads[i][j]);
      expect(Array.from(await p.data())).toEqual(expected);
      expect(grads[i].some((g) => g !== 0)).toBe(true);
    }
  });

  it('moves gradients with their parameters', async () => {
    manualSeed(1);
    const model = new Linear(2, 1);
    mseLoss(model.forward(randn([3, 2])), randn([3, 1])).backward();
    const grad = await model.weight.grad!.data();
    model.to('float64');
    expect(model.weight.grad!.dtype).toBe('float64');
    expect(Array.from(await model.weight.grad!.data())).toEqual(Array.from(grad));
  });

  it('step() on a released parameter throws, naming it and how it was released', () => {
    const model = new Linear(2, 1);
    const optimizer = new SGD(model.parameters(), { lr: 0.1 });
    model.bias!.dispose();
    expect(() => optimizer.step()).toThrow(/^SGD\.step: parameter 1 of param group 0 \[1\] was released: tensor \[1\] float32 .* was released by dispose\(\)/);
  });
});
