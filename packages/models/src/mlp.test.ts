import { describe, expect, it } from 'vitest';
import { manualSeed, memoryStats, randint, randn, scope, tensor, type Tensor } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { crossEntropy, gradientNorms, Linear } from '@fathom/layers';
import { Adam } from '@fathom/optim';
import { expectFathomError } from '../test/expect-fathom-error.js';
import { MLP, type MLPActivation, type MLPOptions } from './mlp.js';
import { trainSteps } from '../test/train-steps.js';

useAutograd();

const countParameters = (model: { parameters(): { numel: number }[] }): number => model.parameters().reduce((total, p) => total + p.numel, 0);
const shapesOf = (model: MLP): Record<string, readonly number[]> => Object.fromEntries(Object.entries(model.stateDict()).map(([key, t]) => [key, t.shape]));

// ---- a float64 reference written plainly: one sample at a time, one number at a time ----

type Vector = number[];
type Matrix = number[][]; // (out, in), as a Linear weight

const linearReference = (x: Vector, weight: Matrix, bias: Vector): Vector => weight.map((row, o) => row.reduce((sum, w, i) => sum + w * x[i], bias[o]));

function layerNormReference(x: Vector, gamma: Vector, beta: Vector, eps = 1e-5): Vector {
  const mean = x.reduce((sum, v) => sum + v, 0) / x.length;
  const variance = x.reduce((sum, v) => sum + (v - mean) ** 2, 0) / x.length; // biased, as PyTorch's LayerNorm
  return x.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * gamma[i] + beta[i]);
}

const activationReference: Record<MLPActivation, (v: number) => number> = {
  relu: (v) => Math.max(v, 0),
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  tanh: (v) => Math.tanh(v),
};

/** Fixed, irregular values in (−1, 1). */
const values = (count: number, seed: number): number[] => Array.from({ length: count }, (_, i) => Math.sin(seed * 7.3 + i * 2.1) * 0.9);
const matrix = (rows: number, columns: number, seed: number): Matrix => Array.from({ length: rows }, (_, r) => values(columns, seed + r * 0.37));

// inFeatures 4 → hidden [3, 3] → 2 classes; hidden layer 1 (3 → 3) is the one a residual connection can skip.
const weights = {
  'layers.0.weight': matrix(3, 4, 1), 'layers.0.bias': values(3, 2),
  'layers.1.weight': matrix(3, 3, 3), 'layers.1.bias': values(3, 4),
  'layers.2.weight': matrix(2, 3, 5), 'layers.2.bias': values(2, 6),
  'norms.0.weight': values(3, 7).map((v) => 1 + v), 'norms.0.bias': values(3, 8),
  'norms.1.weight': values(3, 9).map((v) => 1 + v), 'norms.1.bias': values(3, 10),
};
const samples: Matrix = [values(4, 11).map((v) => v * 3), values(4, 12).map((v) => v * 3)]; // (2, 4), fed as images (2, 1, 2, 2)

function mlpReference(x: Vector, activation: MLPActivation, layerNorm: boolean, residual: boolean): Vector {
  let h = x;
  for (let i = 0; i < 2; i++) {
    let a = linearReference(h, weights[`layers.${i}.weight` as 'layers.0.weight'], weights[`layers.${i}.bias` as 'layers.0.bias']);
    if (layerNorm) a = layerNormReference(a, weights[`norms.${i}.weight` as 'norms.0.weight'], weights[`norms.${i}.bias` as 'norms.0.bias']);
    a = a.map(activationReference[activation]);
    h = residual && h.length === a.length ? h.map((v, j) => v + a[j]) : a;
  }
  return linearReference(h, weights['layers.2.weight'], weights['layers.2.bias']);
}

function tinyModel(options: Partial<MLPOptions>, dtype: 'float32' | 'float64'): MLP {
  const model = new MLP({ inFeatures: 4, hiddenSizes: [3, 3], numClasses: 2, ...options });
  if (dtype === 'float64') model.to('float64');
  const state: Record<string, Tensor> = {};
  for (const key of Object.keys(model.stateDict())) state[key] = tensor(weights[key as keyof typeof weights], { dtype });
  model.loadStateDict(state);
  return model;
}

describe('MLP', () => {
  it('has layers.i.* for every Linear layer and norms.i.* with layerNorm, with parameter counts by hand', () => {
    // 784·128 + 128 = 100,480;  128·64 + 64 = 8,256;  64·10 + 10 = 650  → 109,386
    const plain = new MLP({ inFeatures: 784, hiddenSizes: [128, 64], numClasses: 10 });
    expect(countParameters(plain)).toBe(109_386);
    expect(shapesOf(plain)).toEqual({
      'layers.0.weight': [128, 784], 'layers.0.bias': [128],
      'layers.1.weight': [64, 128], 'layers.1.bias': [64],
      'layers.2.weight': [10, 64], 'layers.2.bias': [10],
    });
    // LayerNorm adds a weight and a bias per hidden unit: 2·128 + 2·64 = 384 → 109,770. Dropout and residual add nothing.
    const normed = new MLP({ inFeatures: 784, hiddenSizes: [128, 64], numClasses: 10, layerNorm: true, dropout: 0.2 });
    expect(countParameters(normed)).toBe(109_770);
    expect(Object.keys(normed.stateDict())).toEqual([
      'layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias', 'layers.2.weight', 'layers.2.bias',
      'norms.0.weight', 'norms.0.bias', 'norms.1.weight', 'norms.1.bias',
    ]);
    // No hidden layer: softmax regression, 784·10 + 10.
    const none = new MLP({ inFeatures: 784, hiddenSizes: [], numClasses: 10 });
    expect(countParameters(none)).toBe(7_850);
    expect(Object.keys(none.stateDict())).toEqual(['layers.0.weight', 'layers.0.bias']);
    expect(none.hiddenLayers).toEqual([]);
  });

  it('maps features (N, F) and images (N, C, H, W) to logits (N, numClasses)', () => {
    const model = new MLP({ inFeatures: 3 * 8 * 8, hiddenSizes: [16, 16, 8], numClasses: 5, layerNorm: true, residual: true, dropout: 0.1 });
    expect(model.forward(randn([6, 3, 8, 8])).shape).toEqual([6, 5]);
    expect(model.forward(randn([6, 192])).shape).toEqual([6, 5]);
    expect(model.residualConnections).toEqual([false, true, false]);
  });

  it('exposes the hidden Linear layers in order, and the output layer', () => {
    const model = new MLP({ inFeatures: 10, hiddenSizes: [7, 6, 5], numClasses: 3 });
    expect(model.hiddenLayers.map((layer) => [layer.inFeatures, layer.outFeatures])).toEqual([[10, 7], [7, 6], [6, 5]]);
    expect(model.hiddenLayers.every((layer) => layer instanceof Linear)).toBe(true);
    expect(model.hiddenLayers[1].weight).toBe(model.stateDict()['layers.1.weight']);
    expect([model.outputLayer.inFeatures, model.outputLayer.outFeatures]).toEqual([5, 3]);
    expect(model.outputLayer).toBe(model.layers.at(3));
  });

  const cases: [string, Partial<MLPOptions>][] = [
    ['relu', { activation: 'relu' }],
    ['sigmoid', { activation: 'sigmoid' }],
    ['tanh', { activation: 'tanh' }],
    ['tanh + layerNorm + residual', { activation: 'tanh', layerNorm: true, residual: true }],
    ['sigmoid + residual', { activation: 'sigmoid', residual: true }],
    ['relu + layerNorm', { layerNorm: true }],
  ];
  for (const [name, options] of cases) {
    it(`computes what a float64 loop computes: ${name}`, () => {
      const expected = samples.map((x) => mlpReference(x, options.activation ?? 'relu', options.layerNorm ?? false, options.residual ?? false)).flat();
      const input = (dtype: 'float32' | 'float64'): Tensor => tensor(samples, { dtype }).reshape([2, 1, 2, 2]);
      const exact = Array.from(tinyModel(options, 'float64').forward(input('float64')).dataSync());
      exact.forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThan(1e-12));
      // float32 against the float64 reference at tier T3 (1e-5 relative and absolute).
      const single = Array.from(tinyModel(options, 'float32').forward(input('float32')).dataSync());
      single.forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThan(1e-5 + 1e-5 * Math.abs(expected[i])));
    });
  }

  it('drops out only while training', () => {
    manualSeed(0);
    const model = new MLP({ inFeatures: 20, hiddenSizes: [64], numClasses: 4, dropout: 0.5 });
    const x = randn([8, 20]);
    const first = Array.from(model.forward(x).dataSync());
    const second = Array.from(model.forward(x).dataSync());
    expect(first).not.toEqual(second);
    model.eval();
    expect(Array.from(model.forward(x).dataSync())).toEqual(Array.from(model.forward(x).dataSync()));
  });

  it('trains: a few Adam steps on a small set lower the loss, memory flat', () => {
    manualSeed(0);
    const x = randn([64, 1, 4, 4]); // (N, 1, 4, 4)
    const y = randint(0, 4, [64]); // (N)
    const model = new MLP({ inFeatures: 16, hiddenSizes: [32, 32], numClasses: 4, layerNorm: true, residual: true });
    const optimizer = new Adam(model.parameters(), { lr: 0.01 });
    const { losses, settled } = trainSteps(model, optimizer, x, y, 40);
    expect(memoryStats().tensors).toBeLessThanOrEqual(settled.tensors);
    expect(losses[0]).toBeGreaterThan(1); // ≈ ln 4 at the start
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.5); // memorising 64 random labels
  });

  it('shows the vanishing gradient: 10 sigmoid layers vs ReLU, LayerNorm and residual connections', async () => {
    // Ratio of the first hidden layer's gradient norm to the last's, after one
    // backward pass from PyTorch's default initialization. Seeds 0–5 give
    // sigmoid 4e-8–6e-8, LayerNorm 1e-4–5e-4, ReLU 2e-3–4e-3, residual 0.13–0.26.
    const ratios: Record<string, number> = {};
    const variants: [string, Partial<MLPOptions>][] = [
      ['sigmoid', { activation: 'sigmoid' }],
      ['sigmoid + layerNorm', { activation: 'sigmoid', layerNorm: true }],
      ['relu', { activation: 'relu' }],
      ['sigmoid + residual', { activation: 'sigmoid', residual: true }],
    ];
    for (const [name, options] of variants) {
      manualSeed(0);
      const model = new MLP({ inFeatures: 64, hiddenSizes: Array<number>(10).fill(32), numClasses: 10, ...options });
      const x = randn([32, 64]);
      const y = randint(0, 10, [32]);
      scope(() => crossEntropy(model.forward(x), y).backward());
      const norms = await gradientNorms(model); // keyed by module path: 'layers.0' … 'layers.10', 'norms.0' …
      ratios[name] = norms.get('layers.0')! / norms.get('layers.9')!;
      expect(model.hiddenLayers[0].weight.grad).not.toBeNull();
    }
    expect(ratios.sigmoid).toBeLessThan(1e-6);
    expect(ratios['sigmoid + layerNorm']).toBeGreaterThan(100 * ratios.sigmoid);
    expect(ratios.relu).toBeGreaterThan(100 * ratios.sigmoid);
    expect(ratios['sigmoid + residual']).toBeGreaterThan(0.05);
  });

  it('names a wrong input', () => {
    const model = new MLP({ inFeatures: 4, hiddenSizes: [3], numClasses: 2 });
    expectFathomError(() => model.forward(randn([2, 5])), 'ShapeError', 'MLP: input must be (N, 4) or (N, ...) with 4 features per sample, got [2,5] (5 features per sample)');
    expectFathomError(() => model.forward(randn([2, 1, 3, 3])), 'ShapeError', /got \[2,1,3,3\] \(9 features per sample\)/);
    expectFathomError(() => model.forward(randn([4])), 'ShapeError', 'MLP: input must be (N, 4) or (N, ...) with 4 features per sample, got [4]');
    expectFathomError(() => model.forward(tensor([[1, 0, 1, 0]], { dtype: 'bool' })), 'DTypeError', 'MLP: input must be float32 or float64, got bool');
  });

  it('names a wrong option', () => {
    const base = { inFeatures: 8, hiddenSizes: [4, 4], numClasses: 3 };
    expectFathomError(() => new MLP({ ...base, inFeatures: 0 }), 'ValueError', 'MLP: inFeatures must be a positive integer, got 0');
    expectFathomError(() => new MLP({ ...base, hiddenSizes: [4, 0] }), 'ValueError', 'MLP: hiddenSizes[1] must be a positive integer, got 0');
    expectFathomError(() => new MLP({ ...base, hiddenSizes: 4 as unknown as number[] }), 'ValueError', 'MLP: hiddenSizes must be an array of positive integers, got 4');
    expectFathomError(() => new MLP({ ...base, numClasses: 2.5 }), 'ValueError', 'MLP: numClasses must be a positive integer, got 2.5');
    expectFathomError(() => new MLP({ ...base, activation: 'gelu' as MLPActivation }), 'ValueError', `MLP: activation must be 'relu', 'sigmoid' or 'tanh', got "gelu"`);
    expectFathomError(() => new MLP({ ...base, dropout: 1 }), 'ValueError', 'MLP: dropout must be in [0, 1), got 1');
    expectFathomError(() => new MLP({ ...base, dropout: -0.1 }), 'ValueError', 'MLP: dropout must be in [0, 1), got -0.1');
    expectFathomError(() => new MLP({ ...base, hiddenSizes: [6, 5], residual: true }), 'ValueError',
      'MLP: residual needs a hidden layer whose input and output widths are equal (such as hiddenSizes [128, 128]), got inFeatures 8 and hiddenSizes [6, 5]');
    // inFeatures equal to the first width is enough: that layer is the one skipped.
    expect(new MLP({ ...base, hiddenSizes: [8, 5], residual: true }).residualConnections).toEqual([true, false]);
  });
});
