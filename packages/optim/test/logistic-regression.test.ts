import { describe, expect, it } from 'vitest';
import { manualSeed, memoryStats, randn, scope, tensor, zeros, type Tensor } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { clipGradNorm, SGD, StepLR } from '../src/index.js';

useAutograd();

// Gaussian points labelled by the side of the line u·x = 0 they fall on (u = (1, 2)/√5), then pushed 0.5 away
// from it along u: separable by construction, with margin 0.5, but not by either axis alone.
function separable(count: number): { x: Tensor; y: Tensor } {
  manualSeed(7);
  return scope(() => {
    const u = tensor([[1 / Math.sqrt(5)], [2 / Math.sqrt(5)]]); // (2, 1)
    const points = randn([count, 2]); // (N, 2)
    const y = points.matmul(u).squeeze(1).gt(0).float(); // (N)
    const x = points.add(y.mul(2).sub(1).mul(0.5).unsqueeze(1).mul(u.t())); // (N, 2)
    return { x, y };
  });
}

describe('end to end: logistic regression trained with SGD + momentum', () => {
  it('reaches 100% training accuracy on a separable 2-D dataset, with flat memory', async () => {
    const { x, y } = separable(200);
    const weight = zeros([2, 1]).setRequiresGrad(); // (2, 1)
    const bias = zeros([1]).setRequiresGrad();
    const optimizer = new SGD([weight, bias], { lr: 0.5, momentum: 0.9 });
    const scheduler = new StepLR(optimizer, { stepSize: 100, gamma: 0.5 });

    // Binary cross-entropy on logits z: softplus(z) − y·z, averaged.
    const lossOf = (): Tensor => {
      const logits = x.matmul(weight).squeeze(1).add(bias); // (2N)
      return logits.softplus().sub(y.mul(logits)).mean();
    };
    const firstLoss = await scope(() => lossOf()).item();
    let memoryAfterFirstStep = 0;
    for (let step = 0; step < 300; step++) {
      scope(() => {
        optimizer.zeroGrad();
        lossOf().backward();
        clipGradNorm([weight, bias], 5);
        optimizer.step();
        scheduler.step();
      });
      if (step === 0) memoryAfterFirstStep = memoryStats().tensors;
    }
    expect(memoryStats().tensors).toBe(memoryAfterFirstStep);

    const finalLoss = await scope(() => lossOf()).item();
    const accuracy = await scope(() => x.matmul(weight).squeeze(1).add(bias).gt(0).float().eq(y).float().mean()).item();
    expect(finalLoss).toBeLessThan(firstLoss / 10);
    expect(accuracy).toBe(1);
  });
});
