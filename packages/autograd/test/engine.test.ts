import { describe, expect, it } from 'vitest';
import { isFathomError, matmul, memoryStats, profile, randn, manualSeed, scope, tensor, keep, zeros, type Tensor } from '@fathom/core';
import { detectAnomaly, enableGrad, gradcheck, grad, noGrad, useAutograd, valueAndGrad } from '../src/index.js';

useAutograd();

const values = async (t: Tensor | null) => Array.from(await t!.data());

describe('backward', () => {
  it('computes hand-derived gradients and accumulates into leaves', async () => {
    const x = tensor([1, 2, 3]).setRequiresGrad();
    const y = tensor([4, 5, 6]).setRequiresGrad();
    x.mul(y).add(x.square()).sum().backward(); // d/dx = y + 2x, d/dy = x
    expect(await values(x.grad)).toEqual([6, 9, 12]);
    expect(await values(y.grad)).toEqual([1, 2, 3]);
    x.mul(2).sum().backward(); // accumulates
    expect(await values(x.grad)).toEqual([8, 11, 14]);
  });

  it('reduces broadcast gradients back to the input shape', async () => {
    const bias = tensor([1, 2]).setRequiresGrad(); // [2] broadcast over [3, 2]
    const x = tensor([[1, 1], [2, 2], [3, 3]]);
    x.add(bias).sum().backward();
    expect(await values(bias.grad)).toEqual([3, 3]);
  });

  it('needs a gradient for non-scalar outputs and frees the graph', () => {
    const x = randn([3]).setRequiresGrad();
    const y = x.exp();
    expect(() => y.backward()).toThrow(/created implicitly only for one-element outputs/);
    const s = y.sum();
    s.backward();
    expect(() => s.backward()).toThrow(/second time/);
    const t = x.exp().sum();
    t.backward(undefined, { retainGraph: true });
    expect(() => t.backward()).not.toThrow();
  });

  it('integer results and noGrad do not record', () => {
    const x = randn([4]).setRequiresGrad();
    expect(x.gt(0).requiresGrad).toBe(false);
    expect(x.argmax().requiresGrad).toBe(false);
    expect(noGrad(() => x.mul(2)).requiresGrad).toBe(false);
    expect(noGrad(() => enableGrad(() => x.mul(2))).requiresGrad).toBe(true);
    expect(x.detach().requiresGrad).toBe(false);
    expect(() => tensor([1, 2], { dtype: 'int32' }).setRequiresGrad()).toThrow(/only float tensors/);
    const y = x.mul(2);
    expect(() => (y.requiresGrad = false)).toThrow(/leaf tensors/);
  });

  it('retainGrad and hooks see intermediate gradients', async () => {
    const x = tensor([1, 2]).setRequiresGrad();
    const h = x.mul(3);
    h.retainGrad();
    const seen: number[][] = [];
    h.registerHook((g) => {
      seen.push(Array.from(g.dataSync()));
      return g.mul(10);
    });
    h.sum().backward();
    expect(seen).toEqual([[1, 1]]);
    expect(await values(h.grad)).toEqual([10, 10]);
    expect(await values(x.grad)).toEqual([30, 30]);
  });

  it('takes a fresh gradient as .grad without a copy, and copies one that is shared', async () => {
    const w = tensor([[1, 2], [3, 4]]).setRequiresGrad();
    const v = tensor([[5, 6], [7, 8]]);
    // matmul's formula makes dW = G·vᵀ, held by nothing else: it becomes w.grad as it is.
    const run = profile(() => w.matmul(v).sum().backward());
    expect(run.events.filter((e) => e.name === 'copy')).toEqual([]);
    expect(await values(w.grad)).toEqual([11, 15, 11, 15]);
    // add's formula hands the incoming gradient to both inputs: each leaf gets a copy of its own.
    const a = tensor([1, 2]).setRequiresGrad();
    const b = tensor([3, 4]).setRequiresGrad();
    a.add(b).mul(tensor([2, 3])).sum().backward();
    expect(a.grad).not.toBe(b.grad);
    a.grad!.copy_(a.grad!.mul(10));
    expect(await values(a.grad)).toEqual([20, 30]);
    expect(await values(b.grad)).toEqual([2, 3]);
    // A gradient passed in by the caller is the caller's: .grad is a copy.
    const c = tensor([1, 2]).setRequiresGrad();
    const seed = tensor([5, 6]);
    c.backward(seed);
    expect(c.grad).not.toBe(seed);
    seed.copy_(tensor([0, 0]));
    expect(await values(c.grad)).toEqual([5, 6]);
  });

  it('routes max gradients to the extreme element, sharing ties evenly', async () => {
    const x = tensor([[1, 5, 5], [7, 2, 0]]).setRequiresGrad();
    x.max(1).sum().backward();
    expect(await values(x.grad)).toEqual([0, 0.5, 0.5, 1, 0, 0]);
  });

  it('grad() and valueAndGrad() leave the inputs alone', async () => {
    const x = tensor([1, 2, 3]);
    const [dx] = grad((t: Tensor) => t.square().sum())(x);
    expect(await values(dx)).toEqual([2, 4, 6]);
    const [value] = valueAndGrad((t: Tensor) => t.sum())(x);
    expect(await value.item()).toBe(6);
    expect(x.grad).toBeNull();
  });

  it('detectAnomaly names the op that produced NaN', () => {
    const x = tensor([-1, 1]).setRequiresGrad();
    try {
      detectAnomaly(() => x.log());
      expect.unreachable();
    } catch (error) {
      expect(isFathomError(error, 'DataError')).toBe(true);
      expect((error as Error).message).toContain("forward of 'log' produced NaN or Inf");
    }
    const y = tensor([0, 1]).setRequiresGrad();
    const out = y.sqrt().sum();
    expect(() => detectAnomaly(() => out.backward())).toThrow(/backward of 'sqrt' produced NaN or Inf/);
  });

  it('gradcheck catches a wrong gradient', () => {
    const x = randn([3], { dtype: 'float64' });
    expect(() => gradcheck((t) => t.sin().sum(), [x])).not.toThrow();
    // A hook that doubles the gradient makes the analytic side wrong.
    expect(() => gradcheck((t) => {
      const y = t.sin();
      if (y.requiresGrad) y.registerHook((g) => g.mul(2));
      return y.sum();
    }, [x])).toThrow(/gradcheck: gradient of input 0/);
  });
});

describe('training', () => {
  it('a two-layer MLP trained with plain gradient descent fits XOR-like data exactly', async () => {
    manualSeed(1);
    // Four clusters: label = (x > 0) xor (y > 0).
    const points = randn([64, 2]).sign().add(randn([64, 2]).mul(0.2));
    const data = await points.toArray() as number[][];
    const labels = tensor(data.map(([a, b]) => Number((a > 0) !== (b > 0)))).reshape(64, 1);
    const w1 = keep(randn([2, 16]).mul(0.5)).setRequiresGrad();
    const b1 = keep(zeros([16])).setRequiresGrad();
    const w2 = keep(randn([16, 1]).mul(0.5)).setRequiresGrad();
    const b2 = keep(zeros([1])).setRequiresGrad();
    const params = [w1, b1, w2, b2];
    for (let step = 0; step < 1500; step++) {
      scope(() => {
        const hidden = matmul(points, w1).add(b1).tanh();
        const logits = matmul(hidden, w2).add(b2);
        // Binary cross-entropy with logits, written out: softplus(z) − y·z.
        const loss = logits.softplus().sub(logits.mul(labels)).mean();
        loss.backward();
        noGrad(() => {
          for (const p of params) {
            p.copy_(p.sub(p.grad!.mul(0.5)));
            p.grad!.dispose();
            p.grad = null;
          }
        });
      });
    }
    const predictions = noGrad(() => matmul(matmul(points, w1).add(b1).tanh(), w2).add(b2).gt(0).float());
    expect(await predictions.ne(labels).sum().item()).toBe(0);
  });

  it('keeps live tensors and bytes flat over 10,000 forward/backward steps', () => {
    manualSeed(2);
    const w = keep(randn([8, 4])).setRequiresGrad();
    const x = keep(randn([16, 8]));
    let before: ReturnType<typeof memoryStats> | null = null;
    for (let step = 0; step < 10_000; step++) {
      scope(() => {
        const loss = matmul(x, w).relu().logSoftmax(1).mean().neg();
        loss.backward();
        w.grad!.dispose();
        w.grad = null;
      });
      if (step === 100) before = memoryStats();
    }
    expect(memoryStats()).toEqual(before);
  });
});
