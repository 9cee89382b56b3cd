import { describe, expect, it } from 'vitest';
import { isFathomError, memoryStats, scope, tensor, type Tensor } from '@fathom/core';
import { clipGradNorm, clipGradNormAsync, clipGradValue } from '../src/index.js';
import { expectClose, torchReference as ref } from './reference.js';

const float64 = { dtype: 'float64' } as const;
type ClipCase = { total: number; grads: [number[], number[]] };
const torch = ref.clip as Record<string, ClipCase>;

// The parameters and the step-1 gradients used by reference/optim_ref.py.
function withGrads(): Tensor[] {
  const params = [tensor(ref.p0, float64), tensor(ref.p1, float64)];
  params.forEach((p, i) => { p.grad = tensor(ref.grads[1][i], float64); });
  return params;
}

// The total p-norm of all gradient elements, written out.
function plainNorm(values: number[], p: number): number {
  if (p === Infinity) return Math.max(...values.map(Math.abs));
  return values.reduce((sum, v) => sum + Math.abs(v) ** p, 0) ** (1 / p);
}

describe('clipGradNorm matches PyTorch 1.13 clip_grad_norm_', () => {
  const cases: [string, number, number][] = [['l2', 1, 2], ['l2_large', 100, 2], ['l1', 2, 1], ['l3', 0.5, 3], ['inf', 0.5, Infinity]];
  for (const [name, maxNorm, normType] of cases) {
    it(`${name}: maxNorm ${maxNorm}, normType ${normType}`, () => {
      const params = withGrads();
      const allGrads = [...ref.grads[1][0].flat(), ...ref.grads[1][1]];
      const total = clipGradNorm(params, maxNorm, normType);
      expect(total.shape).toEqual([]);
      expectClose(total.dataSync(), [torch[name].total], 'total norm');
      expectClose(total.dataSync(), [plainNorm(allGrads, normType)], 'total norm (written out)');
      params.forEach((p, i) => expectClose((p.grad as Tensor).dataSync(), torch[name].grads[i], `grad ${i}`));
    });
  }

  it('the async form returns the norm as a number and clips the same', async () => {
    const params = withGrads();
    expect(await clipGradNormAsync(params, 1)).toBeCloseTo(torch.l2.total, 12);
    params.forEach((p, i) => expectClose((p.grad as Tensor).dataSync(), torch.l2.grads[i], `grad ${i}`));
  });

  it('skips parameters without a gradient; with none, the norm is 0', () => {
    const params = withGrads();
    params[0].grad = null;
    const expected = plainNorm(ref.grads[1][1], 2);
    expectClose(clipGradNorm(params, 1e6).dataSync(), [expected], 'norm of p1 alone');
    expect(clipGradNorm([tensor([1])], 1).dataSync()[0]).toBe(0);
  });

  it('takes a single tensor', () => {
    const p = tensor([3, 4], float64);
    p.grad = tensor([3, 4], float64);
    expect(clipGradNorm(p, 1).dataSync()[0]).toBe(5);
    expectClose((p.grad as Tensor).dataSync(), [3 / (5 + 1e-6), 4 / (5 + 1e-6)], 'grad');
  });

  it('errorIfNonfinite throws before touching the gradients; without it, they scale as in PyTorch', async () => {
    const p = tensor([1, 2], float64);
    p.grad = tensor([Infinity, 1], float64);
    let caught: unknown;
    try { clipGradNorm([p], 1, 2, { errorIfNonfinite: true }); } catch (error) { caught = error; }
    expect(isFathomError(caught, 'ValueError')).toBe(true);
    expect((caught as Error).message).toMatch(/total norm of order 2 of the gradients is Infinity/);
    await expect(clipGradNormAsync([p], 1, 2, { errorIfNonfinite: true })).rejects.toThrow(/is Infinity/);
    expect(Array.from((p.grad as Tensor).dataSync())).toEqual([Infinity, 1]);
    expect(clipGradNorm([p], 1).dataSync()[0]).toBe(Infinity);
    const scaled = Array.from((p.grad as Tensor).dataSync()); // ∞·0 and 1·0
    expect(Number.isNaN(scaled[0])).toBe(true);
    expect(scaled[1]).toBe(0);
  });

  it('refuses a negative maxNorm or a non-positive normType', () => {
    expect(() => clipGradNorm(withGrads(), -1)).toThrow(/clipGradNorm: invalid maxNorm -1/);
    expect(() => clipGradNorm(withGrads(), 1, 0)).toThrow(/invalid normType 0/);
  });

  it('leaves only the returned norm behind', () => {
    const params = withGrads();
    const before = memoryStats().tensors;
    const total = clipGradNorm(params, 1, 3);
    expect(memoryStats().tensors).toBe(before + 1);
    total.dispose();
    scope(() => { clipGradNorm(params, 1, Infinity); });
    expect(memoryStats().tensors).toBe(before);
  });
});

describe('clipGradValue', () => {
  it('matches PyTorch 1.13 clip_grad_value_', () => {
    const params = withGrads();
    clipGradValue([params[0]], 0.5);
    expectClose((params[0].grad as Tensor).dataSync(), ref.clip.value as number[], 'grad');
    expectClose((params[1].grad as Tensor).dataSync(), ref.grads[1][1], 'untouched');
  });

  it('refuses a negative clipValue', () => {
    expect(() => clipGradValue(withGrads(), -0.1)).toThrow(/clipGradValue: invalid clipValue -0\.1/);
  });
});
