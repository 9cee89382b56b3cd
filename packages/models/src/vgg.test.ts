import { beforeAll, describe, expect, it } from 'vitest';
import { manualSeed, randn, scope, type Tensor } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { BatchNorm2d, Conv2d, Linear, Sequential, summary } from '@fathom/layers';
import { yieldToRunner } from '../test/yield-to-runner.js';
import { initializeVggWeights, VGG, VGG_CONFIGS, vgg11, vggFeatures } from './vgg.js';

useAutograd();

const countParameters = (model: { parameters(): Tensor[] }): number => model.parameters().reduce((total, p) => total + p.numel, 0);

/** Mean and population standard deviation of a tensor's values, with a plain loop. */
function moments(t: Tensor): { mean: number; std: number } {
  const values = t.dataSync();
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return { mean, std: Math.sqrt(squares / values.length) };
}

// torchvision's classifier, common to every VGG: 25088·4096 + 4096 + 4096·4096 + 4096 + 4096·1000 + 1000.
const CLASSIFIER = 123_642_856;

describe('vgg11', () => {
  // One model, with each layer's default initialization only (initWeights: false halves the draws).
  let model: VGG;
  beforeAll(async () => {
    await yieldToRunner();
    manualSeed(0);
    model = vgg11({ initWeights: false });
  });

  it("has torchvision's 132,863,336 parameters and keys", () => {
    expect(countParameters(model)).toBe(132_863_336);
    const keys = Object.keys(model.stateDict());
    // Eight convolutions at features.0, 3, 6, 8, 11, 13, 16, 18 and three Linear layers, weight and bias each.
    expect(keys).toEqual([
      ...[0, 3, 6, 8, 11, 13, 16, 18].flatMap((i) => [`features.${i}.weight`, `features.${i}.bias`]),
      ...[0, 3, 6].flatMap((i) => [`classifier.${i}.weight`, `classifier.${i}.bias`]),
    ]);
    expect(model.stateDict()['features.18.weight'].shape).toEqual([512, 512, 3, 3]);
    expect(model.stateDict()['classifier.0.weight'].shape).toEqual([4096, 25088]);
  });

  it('maps its smallest input, 32×32, to [1, 1000]', () => {
    // Five 2×2 poolings: 32 → 16 → 8 → 4 → 2 → 1; the adaptive pool spreads 1×1 to 7×7.
    const table = scope(() => summary(model.eval(), [1, 3, 32, 32]));
    expect(table).toMatch(/features\.20 \(MaxPool2d\)\s+\[1, 512, 1, 1\]/);
    expect(table).toMatch(/avgpool \(AdaptiveAvgPool2d\)\s+\[1, 512, 7, 7\]/);
    expect(table).toMatch(/classifier\.6 \(Linear\)\s+\[1, 1000\]/);
  });

  it('names a wrong input shape', () => {
    expect(() => model.forward(randn([1, 3, 31, 31]))).toThrow('VGG: input must be (N, 3, H, W) with H, W ≥ 32, got [1,3,31,31]');
    expect(() => model.forward(randn([1, 1, 32, 32]))).toThrow(/got \[1,1,32,32\]/);
  });
});

describe('VGG feature extractors', () => {
  // Each count is torchvision's documented total less the classifier (CLASSIFIER above).
  it('vgg11: 132,863,336 in all, convolutions at torchvision indices', async () => {
    await yieldToRunner();
    const features = vggFeatures(VGG_CONFIGS.A);
    expect(countParameters(features)).toBe(132_863_336 - CLASSIFIER);
    expect(Object.keys(features.stateDict())).toEqual([0, 3, 6, 8, 11, 13, 16, 18].flatMap((i) => [`${i}.weight`, `${i}.bias`]));
    // Five 2×2 poolings: 32 → 1.
    expect(features.forward(randn([1, 3, 32, 32])).shape).toEqual([1, 512, 1, 1]);
  });

  it('vgg11Bn: 132,868,840 in all, BatchNorm after every convolution at torchvision indices', async () => {
    await yieldToRunner();
    const features = vggFeatures(VGG_CONFIGS.A, { batchNorm: true });
    expect(countParameters(features)).toBe(132_868_840 - CLASSIFIER);
    const keys = Object.keys(features.stateDict());
    expect(keys.slice(0, 7)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked']);
    // 8 × (conv, BN, ReLU) + 5 pools = 29 layers: the last conv at 25, its BatchNorm at 26 (vgg11_bn's features.26.running_var).
    expect(keys).toContain('25.weight');
    expect(keys).toContain('26.running_var');
    expect(features.length).toBe(29);
  });

  it('vgg13: 133,047,848 in all', async () => {
    await yieldToRunner();
    expect(countParameters(vggFeatures(VGG_CONFIGS.B))).toBe(133_047_848 - CLASSIFIER);
  });

  it('vgg16: 138,357,544 in all', async () => {
    await yieldToRunner();
    expect(countParameters(vggFeatures(VGG_CONFIGS.D))).toBe(138_357_544 - CLASSIFIER);
  });

  it('vgg19: 143,667,240 in all', async () => {
    await yieldToRunner();
    expect(countParameters(vggFeatures(VGG_CONFIGS.E))).toBe(143_667_240 - CLASSIFIER);
  });
});

describe('initializeVggWeights', () => {
  it("is torchvision's: conv kaimingNormal fan out with zero bias, BatchNorm 1 and 0, Linear N(0, 0.01²) with zero bias", () => {
    manualSeed(1);
    const model = new Sequential(new Conv2d(64, 128, 3), new BatchNorm2d(128), new Linear(512, 400));
    initializeVggWeights(model);
    const [conv, bn, fc] = [model.at(0) as Conv2d, model.at(1) as BatchNorm2d, model.at(2) as Linear];
    // Conv weight (128, 64, 3, 3): fan out 128·9 = 1152, std √(2/1152) ≈ 0.0417.
    expect(Math.abs(moments(conv.weight).std / Math.sqrt(2 / 1152) - 1)).toBeLessThan(0.02);
    expect(conv.bias!.dataSync().every((v) => v === 0)).toBe(true);
    expect(bn.weight!.dataSync().every((v) => v === 1)).toBe(true);
    expect(bn.bias!.dataSync().every((v) => v === 0)).toBe(true);
    const linear = moments(fc.weight);
    expect(Math.abs(linear.std / 0.01 - 1)).toBeLessThan(0.02);
    expect(Math.abs(linear.mean)).toBeLessThan(1e-3);
    expect(fc.bias!.dataSync().every((v) => v === 0)).toBe(true);
  });
});
