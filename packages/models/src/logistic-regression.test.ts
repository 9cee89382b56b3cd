import { describe, expect, it } from 'vitest';
import { manualSeed, randn, scope, tensor } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { bceWithLogits } from '@fathom/layers';
import { SGD } from '@fathom/optim';
import { expectFathomError } from '../test/expect-fathom-error.js';
import { LogisticRegression } from './logistic-regression.js';
import { trainSteps } from '../test/train-steps.js';

useAutograd();

const countParameters = (model: { parameters(): { numel: number }[] }): number => model.parameters().reduce((total, p) => total + p.numel, 0);

describe('LogisticRegression', () => {
  it('is one Linear unit under linear.*: inFeatures + 1 parameters', () => {
    const model = new LogisticRegression({ inFeatures: 784 });
    expect(countParameters(model)).toBe(785); // 1·784 weights + 1 bias
    const shapes = Object.fromEntries(Object.entries(model.stateDict()).map(([key, t]) => [key, t.shape]));
    expect(shapes).toEqual({ 'linear.weight': [1, 784], 'linear.bias': [1] });
  });

  it('returns one logit per sample (N) for features (N, F) and images (N, C, H, W)', () => {
    const model = new LogisticRegression({ inFeatures: 12 });
    expect(model.forward(randn([5, 12])).shape).toEqual([5]);
    expect(model.forward(randn([5, 3, 2, 2])).shape).toEqual([5]);
    expect(model.forward(randn([0, 12])).shape).toEqual([0]);
  });

  it('computes w·x + b as a float64 loop does', () => {
    const w = [0.5, -1.25, 2, 0.75];
    const b = -0.3;
    const xs = [[1, 2, 3, 4], [-0.5, 0.25, 0, 8], [0.1, 0.2, 0.3, 0.4]];
    const expected = xs.map((x) => x.reduce((sum, v, j) => sum + v * w[j], b));

    const model = new LogisticRegression({ inFeatures: 4 }).to('float64');
    model.loadStateDict({ 'linear.weight': tensor([w], { dtype: 'float64' }), 'linear.bias': tensor([b], { dtype: 'float64' }) });
    const got = Array.from(model.forward(tensor(xs, { dtype: 'float64' }).reshape([3, 1, 2, 2])).dataSync());
    got.forEach((value, i) => expect(value).toBeCloseTo(expected[i], 12));

    const single = new LogisticRegression({ inFeatures: 4 });
    single.loadStateDict({ 'linear.weight': tensor([w]), 'linear.bias': tensor([b]) });
    Array.from(single.forward(tensor(xs)).dataSync()).forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThan(1e-5 + 1e-5 * Math.abs(expected[i])));
  });

  it('learns a linearly separable rule with bceWithLogits: the loss falls', () => {
    manualSeed(0);
    const x = randn([64, 2]); // (N, 2)
    const points = x.dataSync();
    const y = tensor(Array.from({ length: 64 }, (_, i) => (points[2 * i] + 2 * points[2 * i + 1] > 0 ? 1 : 0))); // (N) float32
    const model = new LogisticRegression({ inFeatures: 2 });
    const optimizer = new SGD(model.parameters(), { lr: 0.5 });
    const { losses } = trainSteps(model, optimizer, x, y, 30, bceWithLogits);
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.6);
    const predicted = Array.from(scope(() => model.forward(x).gt(0)).dataSync()).map(Number);
    const correct = predicted.filter((p, i) => p === y.dataSync()[i]).length;
    expect(correct).toBeGreaterThanOrEqual(58);
  });

  it('names a wrong input or option', () => {
    const model = new LogisticRegression({ inFeatures: 4 });
    expectFathomError(() => model.forward(randn([2, 5])), 'ShapeError',
      'LogisticRegression: input must be (N, 4) or (N, ...) with 4 features per sample, got [2,5] (5 features per sample)');
    expectFathomError(() => model.forward(randn([4])), 'ShapeError',
      'LogisticRegression: input must be (N, 4) or (N, ...) with 4 features per sample, got [4]');
    expectFathomError(() => model.forward(tensor([[1, 2, 3, 4]], { dtype: 'int32' })), 'DTypeError',
      'LogisticRegression: input must be float32 or float64, got int32');
    expectFathomError(() => new LogisticRegression({ inFeatures: 0 }), 'ValueError', 'LogisticRegression: inFeatures must be a positive integer, got 0');
    expectFathomError(() => new LogisticRegression({ inFeatures: 2.5 }), 'ValueError', 'LogisticRegression: inFeatures must be a positive integer, got 2.5');
  });
});
