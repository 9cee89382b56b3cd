import { beforeAll, describe, expect, it } from 'vitest';
import { manualSeed, randn, scope } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { Dropout, summary } from '@fathom/layers';
import { yieldToRunner } from '../test/yield-to-runner.js';
import { AlexNet } from './alexnet.js';

useAutograd();

describe('AlexNet', () => {
  // 61 M parameters take the CPU backend's random generator several seconds: build one model for every test.
  let model: AlexNet;
  beforeAll(async () => {
    await yieldToRunner();
    manualSeed(0);
    model = new AlexNet();
  }, 120_000);

  it("has torchvision's 61,100,840 parameters under torchvision's keys and shapes", () => {
    expect(model.parameters().reduce((total, p) => total + p.numel, 0)).toBe(61_100_840);
    const shapes = Object.fromEntries(Object.entries(model.stateDict()).map(([key, t]) => [key, t.shape]));
    // Per layer: 23,296 + 307,392 + 663,936 + 884,992 + 590,080 + 37,752,832 + 16,781,312 + 4,097,000 = 61,100,840.
    expect(shapes).toEqual({
      'features.0.weight': [64, 3, 11, 11], 'features.0.bias': [64],
      'features.3.weight': [192, 64, 5, 5], 'features.3.bias': [192],
      'features.6.weight': [384, 192, 3, 3], 'features.6.bias': [384],
      'features.8.weight': [256, 384, 3, 3], 'features.8.bias': [256],
      'features.10.weight': [256, 256, 3, 3], 'features.10.bias': [256],
      'classifier.1.weight': [4096, 9216], 'classifier.1.bias': [4096],
      'classifier.4.weight': [4096, 4096], 'classifier.4.bias': [4096],
      'classifier.6.weight': [1000, 4096], 'classifier.6.bias': [1000],
    });
    expect(Object.keys(model.stateDict())[0]).toBe('features.0.weight');
    expect((model.classifier.at(0) as Dropout).p).toBe(0.5);
    expect((model.classifier.at(3) as Dropout).p).toBe(0.5);
  });

  it('takes its smallest input, 63×63, through every stage to [1, 1000]', async () => {
    await yieldToRunner();
    // 63 → conv 11/4 pad 2: ⌊(63 + 4 − 11)/4⌋ + 1 = 15 → pool 3/2: 7 → conv 5 pad 2: 7 → pool: 3
    // → three 3×3 pad 1 convs: 3 → pool: 1 → adaptive average pool: 6×6 (each output copies the one input).
    const table = scope(() => summary(model.eval(), [1, 3, 63, 63]));
    expect(table).toMatch(/features\.0 \(Conv2d\)\s+\[1, 64, 15, 15\]/);
    expect(table).toMatch(/features\.2 \(MaxPool2d\)\s+\[1, 64, 7, 7\]/);
    expect(table).toMatch(/features\.5 \(MaxPool2d\)\s+\[1, 192, 3, 3\]/);
    expect(table).toMatch(/features\.10 \(Conv2d\)\s+\[1, 256, 3, 3\]/);
    expect(table).toMatch(/features\.12 \(MaxPool2d\)\s+\[1, 256, 1, 1\]/);
    expect(table).toMatch(/avgpool \(AdaptiveAvgPool2d\)\s+\[1, 256, 6, 6\]/);
    expect(table).toMatch(/classifier\.6 \(Linear\)\s+\[1, 1000\]/);
    expect(table).toContain('Total params: 61,100,840');
  });

  it('drops out in training mode only', async () => {
    const x = randn([1, 3, 67, 67]);
    const evaluated = Array.from(await scope(() => model.eval().forward(x)).data());
    const trained = scope(() => model.train().forward(x));
    expect(trained.shape).toEqual([1, 1000]);
    expect(Array.from(await trained.data())).not.toEqual(evaluated);
    expect(Array.from(await scope(() => model.eval().forward(x)).data())).toEqual(evaluated);
  });

  it('names an input too small or with the wrong channels', () => {
    expect(() => model.forward(randn([1, 3, 62, 62]))).toThrow('AlexNet: input must be (N, 3, H, W) with H, W ≥ 63, got [1,3,62,62]');
    expect(() => model.forward(randn([1, 1, 224, 224]))).toThrow('AlexNet: input must be (N, 3, H, W) with H, W ≥ 63, got [1,1,224,224]');
    expect(() => model.forward(randn([3, 224, 224]))).toThrow(/got \[3,224,224\]/);
  });
});

