import { describe, expect, it } from 'vitest';
import { getBackend, keep, manualSeed, memoryStats, onesLike, randn, scope, tensor, type Tensor } from '@fathom/core';
import { peakBytesAbove } from '@fathom/core/testing';
import { customFunction, gradcheck, useAutograd } from '../src/index.js';

useAutograd();

const FLOAT32_BYTES = 4;

/**
 * An RNN-like recurrence over T steps: h_t = tanh(y_t + h_{t−1}·W) with
 * y = 2x read one step at a time by `select`. Each step's backward makes an
 * (F, F) gradient for W and (N, F) gradients for h and y_t.
 */
function recurrence(x: Tensor, weight: Tensor): Tensor {
  const y = x.mul(2); // (T, N, F), not a leaf: its select gradients meet in one buffer
  let h = y.select(0, 0).tanh(); // (N, F)
  for (let t = 1; t < x.shape[0]; t++) h = y.select(0, t).add(h.matmul(weight)).tanh();
  return h.sum();
}

/** Peak bytes of the backward alone (the forward's tensors are held before it starts), for T steps. */
function backwardPeak(steps: number, batch: number, features: number): number {
  return scope(() => {
    manualSeed(7);
    const x = randn([steps, batch, features]).setRequiresGrad();
    const weight = randn([features, features]).mul(0.1).setRequiresGrad();
    const loss = recurrence(x, weight);
    const peak = peakBytesAbove(getBackend('cpu'), () => loss.backward());
    for (const t of [x, weight, x.grad!, weight.grad!]) t.dispose();
    return peak;
  });
}

describe('backward releases gradients as soon as they are consumed', () => {
  it('T selects of one tensor cost a small multiple of that tensor in backward, not T per-step gradients', () => {
    // N ≪ F, so each step's (F, F) weight gradient is 2F/N times the step's slice of x: kept until
    // the end of backward, those would grow the peak by T·F² floats; released at once, they do not.
    const [batch, features] = [2, 64];
    const shortRun = 4;
    const longRun = 32;
    const short = backwardPeak(shortRun, batch, features);
    const long = backwardPeak(longRun, batch, features);
    const extraBaseBytes = (longRun - shortRun) * batch * features * FLOAT32_BYTES; // how much larger x (and y) is
    const weightGradientBytes = features * features * FLOAT32_BYTES;
    // What grows with T: the select gradients' one buffer, x's gradient and its copy into x.grad (3 tensors shaped like x).
    expect(long - short).toBeLessThanOrEqual(3 * extraBaseBytes);
    // What does not: the few (F, F) and (N, F) gradients in flight at once.
    expect(long).toBeLessThanOrEqual(3 * (longRun * batch * features * FLOAT32_BYTES) + 4 * weightGradientBytes);
    // Kept per step, the weight gradients alone would have exceeded both bounds.
    expect((longRun - shortRun) * weightGradientBytes).toBeGreaterThan(3 * extraBaseBytes);
  });

  it('the recurrence still has the finite-difference gradients', () => {
    manualSeed(8);
    const x = randn([5, 2, 3], { dtype: 'float64' });
    const weight = randn([3, 3], { dtype: 'float64' }).mul(0.5);
    gradcheck(recurrence, [x, weight]);
  });

  it('leaves only the leaves\' gradients behind', () => {
    scope(() => {
      const x = randn([6, 2, 8]).setRequiresGrad();
      const weight = randn([8, 8]).setRequiresGrad();
      const loss = recurrence(x, weight);
      const before = memoryStats('cpu').storages;
      // The graph is retained so that no saved tensor is released: what is left over is the pass's own.
      loss.backward(undefined, { retainGraph: true });
      // x.grad and weight.grad; the seed and every gradient in flight have been released.
      expect(memoryStats('cpu').storages - before).toBe(2);
    });
  });

  it('a gradient passed through unchanged to two inputs, then a view\'s gradient added into one of them', async () => {
    const x = tensor([1, 2, 3], { dtype: 'float64' }).setRequiresGrad();
    const y = x.mul(2); // (3,)
    const z = y.clone(); // clone hands its incoming gradient on as it is
    // add gives both z and z.select its gradient; select's window lands in z's pending gradient.
    z.add(z.select(0, 2)).mul(tensor([1, 10, 100], { dtype: 'float64' })).sum().backward();
    // d/dz = [1, 10, 100] + [0, 0, 111]; d/dx = 2·d/dz
    expect(Array.from(await x.grad!.data())).toEqual([2, 20, 422]);
  });

  it('does not release the gradient the caller passed, nor a saved tensor a custom backward returns', async () => {
    const passThroughSaved = customFunction('passThroughSaved', {
      forward: (input: Tensor) => ({ output: input.mul(1), saved: [onesLike(input).mul(3)] }),
      backward: (_grad, { saved }) => [saved[0]], // the saved tensor itself, not a copy
    });
    const x = tensor([1, 2], { dtype: 'float64' }).setRequiresGrad();
    const out = passThroughSaved(x.mul(2)); // (2,)
    const seed = tensor([5, 7], { dtype: 'float64' });
    out.backward(seed, { retainGraph: true });
    expect(Array.from(await seed.data())).toEqual([5, 7]);
    expect(Array.from(await x.grad!.data())).toEqual([6, 6]);
    out.backward(seed); // the saved tensor is still there for a second pass
    expect(Array.from(await x.grad!.data())).toEqual([12, 12]);
  });

  it('a hook may keep the gradient it is given beyond the pass', async () => {
    const x = tensor([1, 2], { dtype: 'float64' }).setRequiresGrad();
    const y = x.mul(3);
    let seen: Tensor | undefined;
    y.registerHook((g) => {
      seen = keep(g);
    });
    y.mul(tensor([4, 5], { dtype: 'float64' })).sum().backward();
    expect(Array.from(await seen!.data())).toEqual([4, 5]);
    expect(Array.from(await x.grad!.data())).toEqual([12, 15]);
    seen!.dispose();
  });

  it('a failing formula leaves no gradient of the pass behind', () => {
    const failing = customFunction('failing', {
      forward: (input: Tensor) => ({ output: input.mul(1) }),
      backward: () => {
        throw new Error('no gradient today');
      },
    });
    scope(() => {
      const x = randn([4]).setRequiresGrad();
      const y = x.exp();
      const loss = failing(y.add(1)).add(y).sum(); // y's first gradient is pending when the formula throws
      const before = memoryStats('cpu').storages;
      expect(() => loss.backward()).toThrow(/no gradient today/);
      expect(memoryStats('cpu').storages).toBe(before);
    });
  });
});
