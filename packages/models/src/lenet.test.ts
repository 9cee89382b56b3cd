import { describe, expect, it } from 'vitest';
import { manualSeed, memoryStats, randn, scope, tensor } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { SGD } from '@fathom/optim';
import { LeNet5 } from './lenet.js';
import { trainSteps } from '../test/train-steps.js';

useAutograd();

const countParameters = (model: { parameters(): { numel: number }[] }): number => model.parameters().reduce((total, p) => total + p.numel, 0);

describe('LeNet5', () => {
  it('has 61,706 parameters for 10 classes, under torch-style keys', () => {
    // By hand (out·in·k·k weights plus one bias per output):
    //   features.0   6·1·5·5 + 6   =    156
    //   features.3   16·6·5·5 + 16 =  2,416
    //   classifier.0 400·120 + 120 = 48,120
    //   classifier.2 120·84 + 84   = 10,164
    //   classifier.4 84·10 + 10    =    850   → 61,706
    const model = new LeNet5();
    expect(countParameters(model)).toBe(61_706);
    const shapes = Object.fromEntries(Object.entries(model.stateDict()).map(([key, t]) => [key, t.shape]));
    expect(shapes).toEqual({
      'features.0.weight': [6, 1, 5, 5], 'features.0.bias': [6],
      'features.3.weight': [16, 6, 5, 5], 'features.3.bias': [16],
      'classifier.0.weight': [120, 400], 'classifier.0.bias': [120],
      'classifier.2.weight': [84, 120], 'classifier.2.bias': [84],
      'classifier.4.weight': [10, 84], 'classifier.4.bias': [10],
    });
    expect(Object.keys(model.stateDict())[0]).toBe('features.0.weight');
  });

  it('follows numClasses and inChannels', () => {
    // features.0 becomes 6·3·5·5 + 6 = 456 and classifier.4 84·4 + 4 = 340: 61,706 − 156 − 850 + 456 + 340.
    const model = new LeNet5({ numClasses: 4, inChannels: 3 });
    expect(countParameters(model)).toBe(61_496);
    expect(model.forward(randn([3, 3, 28, 28])).shape).toEqual([3, 4]);
  });

  it('maps (N, 1, 28, 28) to (N, 10) and names a wrong input shape', () => {
    const model = new LeNet5();
    expect(model.forward(randn([2, 1, 28, 28])).shape).toEqual([2, 10]);
    expect(() => model.forward(randn([2, 1, 32, 32]))).toThrow('LeNet5: input must be (N, 1, 28, 28), got [2,1,32,32]');
    expect(() => model.forward(randn([1, 28, 28]))).toThrow('LeNet5: input must be (N, 1, 28, 28), got [1,28,28]');
    expect(() => model.forward(randn([2, 3, 28, 28]))).toThrow(/got \[2,3,28,28\]/);
  });

  it('fits a small separable set to 100% training accuracy with SGD and momentum, memory flat', () => {
    manualSeed(0);
    // 32 noisy 28×28 images; class c (0…9) lights a 6×6 patch whose place encodes c:
    // rows 4–9 for c < 5 and 18–23 otherwise, columns 1–6, 6–11, …, 21–26 by c mod 5.
    const count = 32;
    const labels = Array.from({ length: count }, (_, i) => i % 10);
    const noise = randn([count, 1, 28, 28]).mul(0.3);
    const pixels = Float32Array.from(noise.dataSync());
    labels.forEach((c, i) => {
      const top = c < 5 ? 4 : 18;
      const left = (c % 5) * 5 + 1;
      for (let r = top; r < top + 6; r++) for (let col = left; col < left + 6; col++) pixels[i * 784 + r * 28 + col] += 1;
    });
    const x = tensor(pixels, { shape: [count, 1, 28, 28] }); // (N, 1, 28, 28)
    const y = tensor(labels, { dtype: 'int32' }); // (N)

    const model = new LeNet5();
    // With lr 0.03 the loss sits near ln 10 for 35–60 steps, depending on the seed, then
    // falls fast: 80 steps reach 100% and a loss below 0.01 from seeds 0–15. 0.05
    // overshoots from some seeds.
    const optimizer = new SGD(model.parameters(), { lr: 0.03, momentum: 0.9 });
    const { losses, settled } = trainSteps(model, optimizer, x, y, 80);
    const after = memoryStats();
    expect(after.tensors).toBeLessThanOrEqual(settled.tensors);
    expect(after.bytes).toBeLessThanOrEqual(settled.bytes);

    const predicted = Array.from(scope(() => model.eval().forward(x).argmax(1)).dataSync());
    expect(predicted).toEqual(labels);
    expect(losses[0]).toBeGreaterThan(2); // ≈ ln 10 at the start
    expect(losses.at(-1)!).toBeLessThan(0.2);
  });
});
