import { describe, expect, it } from 'vitest';
import { manualSeed, randn, scope, tensor } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { crossEntropy } from '@fathom/layers';
import { SGD } from '@fathom/optim';
import { expectFathomError } from '../test/expect-fathom-error.js';
import { SoftmaxClassifier } from './softmax-classifier.js';
import { trainSteps } from '../test/train-steps.js';

useAutograd();

const countParameters = (model: { parameters(): { numel: number }[] }): number => model.parameters().reduce((total, p) => total + p.numel, 0);

describe('SoftmaxClassifier', () => {
  it('is Linear(inFeatures, numClasses) under linear.*: (inFeatures + 1)·numClasses parameters', () => {
    const model = new SoftmaxClassifier({ inFeatures: 784, numClasses: 10 });
    expect(countParameters(model)).toBe(7_850); // 10·784 weights + 10 biases
    const shapes = Object.fromEntries(Object.entries(model.stateDict()).map(([key, t]) => [key, t.shape]));
    expect(shapes).toEqual({ 'linear.weight': [10, 784], 'linear.bias': [10] });
    expect(new SoftmaxClassifier({ inFeatures: 3 }).numClasses).toBe(10);
  });

  it('maps features (N, F) and images (N, C, H, W) to logits (N, numClasses)', () => {
    const model = new SoftmaxClassifier({ inFeatures: 48, numClasses: 3 });
    expect(model.forward(randn([4, 48])).shape).toEqual([4, 3]);
    expect(model.forward(randn([4, 3, 4, 4])).shape).toEqual([4, 3]);
  });

  it('computes Wx + b as a float64 loop does', () => {
    const weight = [[0.5, -1, 0.25], [2, 0, -0.75]]; // (2, 3)
    const bias = [0.1, -0.2];
    const xs = [[1, 2, 3], [-4, 0.5, 0.125]];
    const expected = xs.map((x) => weight.map((row, k) => row.reduce((sum, w, j) => sum + w * x[j], bias[k])));

    const model = new SoftmaxClassifier({ inFeatures: 3, numClasses: 2 }).to('float64');
    model.loadStateDict({ 'linear.weight': tensor(weight, { dtype: 'float64' }), 'linear.bias': tensor(bias, { dtype: 'float64' }) });
    const got = Array.from(model.forward(tensor(xs, { dtype: 'float64' }).reshape([2, 3, 1, 1])).dataSync());
    got.forEach((value, i) => expect(value).toBeCloseTo(expected.flat()[i], 12));
  });

  it('fits three separable clusters with crossEntropy: the loss falls', () => {
    manualSeed(1);
    const centres = [[3, 0], [-3, 3], [0, -3]];
    const labels = Array.from({ length: 60 }, (_, i) => i % 3);
    const noise = randn([60, 2]).dataSync();
    const x = tensor(labels.map((c, i) => [centres[c][0] + noise[2 * i], centres[c][1] + noise[2 * i + 1]])); // (N, 2)
    const y = tensor(labels, { dtype: 'int32' }); // (N)
    const model = new SoftmaxClassifier({ inFeatures: 2, numClasses: 3 });
    const optimizer = new SGD(model.parameters(), { lr: 0.1 });
    const { losses } = trainSteps(model, optimizer, x, y, 30);
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.5);
    const predicted = Array.from(scope(() => model.forward(x).argmax(1)).dataSync());
    expect(predicted.filter((p, i) => p === labels[i]).length).toBeGreaterThanOrEqual(57);
  });

  it('names a wrong input or option', () => {
    const model = new SoftmaxClassifier({ inFeatures: 4, numClasses: 3 });
    expectFathomError(() => model.forward(randn([2, 1, 2, 3])), 'ShapeError',
      'SoftmaxClassifier: input must be (N, 4) or (N, ...) with 4 features per sample, got [2,1,2,3] (6 features per sample)');
    expectFathomError(() => new SoftmaxClassifier({ inFeatures: -1 }), 'ValueError', 'SoftmaxClassifier: inFeatures must be a positive integer, got -1');
    expectFathomError(() => new SoftmaxClassifier({ inFeatures: 4, numClasses: 1 }), 'ValueError',
      'SoftmaxClassifier: numClasses must be an integer of at least 2, got 1 (for one output per sample use LogisticRegression)');
  });
});
