import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { arange, manualSeed, memoryStats, randn, scope, tensor, zeros, type Tensor } from '@fathom/core';
import { gradcheck, noGrad, useAutograd } from '@fathom/autograd';
import {
  batchNorm, BatchNorm2d, bceWithLogits, binaryCrossEntropy, Conv2d, crossEntropy, Dropout, Embedding, Flatten, l1Loss, LayerNorm, Linear, mseLoss, ReLU, Sequential,
} from '../src/index.js';

useAutograd();

// Values printed by PyTorch 1.13 (Debian's python3-torch) running reference/layers_ref.py.
const torchValues = JSON.parse(readFileSync(new URL('./reference/layers_ref.json', import.meta.url), 'utf8')) as Record<string, number | number[] | string[]>;
const expected = (key: string) => torchValues[key];

async function expectClose(t: Tensor, values: number | number[], tolerance = 1e-5): Promise<void> {
  const actual = Array.from(await t.data());
  const wanted = typeof values === 'number' ? [values] : values;
  expect(actual).toHaveLength(wanted.length);
  actual.forEach((v, i) => expect(Math.abs(v - wanted[i])).toBeLessThanOrEqual(tolerance * (1 + Math.abs(wanted[i]))));
}

const logits = tensor([[0.2, -1.0, 3.0, 0.5, 0.0], [1.5, 0.3, -0.7, 2.2, -1.1], [0.0, 0.0, 0.0, 0.0, 0.0], [-2.0, 4.0, 1.0, 0.5, 0.25]]);
const target = tensor([2, 3, 0, 4], { dtype: 'int32' });
const withIgnored = tensor([2, -100, 0, 4], { dtype: 'int32' });
const classWeight = tensor([1.0, 2.0, 0.5, 1.5, 3.0]);

describe('losses match PyTorch', () => {
  it('crossEntropy: reductions, weight, ignoreIndex, labelSmoothing, spatial', async () => {
    await expectClose(crossEntropy(logits, target), expected('ce_mean') as number);
    await expectClose(crossEntropy(logits, target, { reduction: 'none' }), expected('ce_none') as number[]);
    await expectClose(crossEntropy(logits, target, { weight: classWeight }), expected('ce_weight') as number);
    await expectClose(crossEntropy(logits, withIgnored), expected('ce_ignore') as number);
    await expectClose(crossEntropy(logits, target, { labelSmoothing: 0.1 }), expected('ce_smooth') as number);
    await expectClose(crossEntropy(logits, withIgnored, { weight: classWeight, labelSmoothing: 0.2 }), expected('ce_smooth_weight_ignore') as number);
    const spatial = tensor([[[0.1, 0.5], [1.0, -1.0], [0.3, 0.3]], [[2.0, 0.0], [-0.5, 0.5], [1.5, -2.0]]]);
    await expectClose(crossEntropy(spatial, tensor([[0, 2], [1, 1]], { dtype: 'int32' })), expected('ce_spatial') as number);
  });

  it('crossEntropy gradient with label smoothing', async () => {
    const x = logits.detach().setRequiresGrad();
    crossEntropy(x, target, { labelSmoothing: 0.1 }).backward();
    await expectClose(x.grad!, expected('ce_smooth_grad') as number[]);
  });

  it('binary losses and regression losses', async () => {
    await expectClose(binaryCrossEntropy(tensor([0.1, 0.9, 0.5, 0.0, 1.0]), tensor([0, 1, 1, 0, 1])), expected('bce') as number);
    await expectClose(binaryCrossEntropy(tensor([0, 1]), tensor([1, 0])), expected('bce_zero_one') as number);
    const z = tensor([-3.0, 0.5, 2.0, 100.0, -100.0]);
    const y = tensor([0.0, 1.0, 0.5, 1.0, 0.0]);
    await expectClose(bceWithLogits(z, y), expected('bcel') as number);
    await expectClose(bceWithLogits(z, y, { posWeight: tensor(3) }), expected('bcel_pos') as number);
    const a = tensor([[1, 2], [3, -4]]);
    const b = tensor([[0.5, 2.5], [-1, 0]]);
    await expectClose(mseLoss(a, b), expected('mse') as number);
    await expectClose(l1Loss(a, b, { reduction: 'sum' }), expected('l1_sum') as number);
  });

  it('names the bad label and the class count', () => {
    expect(() => crossEntropy(logits, tensor([2, 5, 0, 1], { dtype: 'int32' }))).toThrow('crossEntropy: target 5 is out of bounds for 5 classes');
    expect(() => crossEntropy(logits, tensor([2, -1, 0, 1], { dtype: 'int32' }))).toThrow(/target -1 is out of bounds/);
    expect(() => crossEntropy(logits, tensor([2, 1, 0]).int())).toThrow(/target \[3\] must have shape \[4\]/);
    expect(() => crossEntropy(logits, tensor([2, 1, 0, 1]))).toThrow(/int32 class indices, got float32/);
    expect(() => crossEntropy(zeros([0, 5]), zeros([0], { dtype: 'int32' }))).toThrow(/empty batch/);
  });

  it('loss gradients pass gradcheck in float64', () => {
    const x = randn([3, 4], { dtype: 'float64' });
    const t = tensor([0, 3, 1], { dtype: 'int32' });
    gradcheck((input) => crossEntropy(input, t, { labelSmoothing: 0.1, weight: tensor([1, 2, 3, 4], { dtype: 'float64' }) }), [x]);
    gradcheck((input) => bceWithLogits(input, tensor([[0, 1, 0.5, 1], [1, 0, 0, 1], [0.2, 0.8, 1, 0]], { dtype: 'float64' })), [x]);
  });
});

describe('normalization matches PyTorch', () => {
  it('BatchNorm2d in training and eval mode, running statistics included', async () => {
    const x = arange(24, undefined, 1, { dtype: 'float32' }).pow(1.5).div(10).reshape(2, 3, 2, 2);
    const bn = new BatchNorm2d(3);
    noGrad(() => {
      bn.weight!.copy_(tensor([1, 2, 0.5]));
      bn.bias!.copy_(tensor([0, -1, 0.25]));
    });
    await expectClose(bn.forward(x), expected('bn_train') as number[]);
    const state = bn.stateDict();
    await expectClose(state.running_mean, expected('bn_running_mean') as number[]);
    await expectClose(state.running_var, expected('bn_running_var') as number[]);
    expect(await state.num_batches_tracked.item()).toBe(1);
    bn.eval();
    await expectClose(bn.forward(x), expected('bn_eval') as number[]);
  });

  it('functional batchNorm in training moves the running statistics it is given, by its momentum (F.batch_norm)', async () => {
    const x = arange(24, undefined, 1, { dtype: 'float32' }).pow(1.5).div(10).reshape(2, 3, 2, 2);
    const [weight, bias] = [tensor([1, 2, 0.5]), tensor([0, -1, 0.25])];
    const runningMean = zeros([3]), runningVar = tensor([1, 1, 1]);
    await expectClose(batchNorm(x, runningMean, runningVar, weight, bias, true).output, expected('bn_train') as number[]);
    await expectClose(runningMean, expected('bn_running_mean') as number[]);
    await expectClose(runningVar, expected('bn_running_var') as number[]);
    // PyTorch's figures are for momentum 0.1 from (0, 1): the batch's mean is 10× the running mean, its unbiased variance 10·(running − 0.9).
    const [mean, variance] = [(expected('bn_running_mean') as number[]).map((m) => 10 * m), (expected('bn_running_var') as number[]).map((v) => 10 * (v - 0.9))];
    const halfMean = zeros([3]), halfVar = tensor([1, 1, 1]);
    batchNorm(x, halfMean, halfVar, null, null, true, 1e-5, 0.5);
    await expectClose(halfMean, mean.map((m) => 0.5 * m));
    await expectClose(halfVar, variance.map((v) => 0.5 + 0.5 * v));
  });

  it('training-mode batch norm passes gradcheck in float64, with and without weight and bias', () => {
    // The cpu device runs the fused kernels (Kernels.batchNorm and batchNormBackward): this checks their closed-form backward.
    const f64 = { dtype: 'float64' } as const;
    const x = randn([3, 4, 2, 3], f64).mul(1.5).add(0.5);
    const weight = tensor([1, 2, 0.5, -1], f64), bias = tensor([0, -1, 0.25, 2], f64);
    const r = arange(72, undefined, 1, f64).reshape(3, 4, 2, 3).sin(); // uneven weighting of the outputs
    gradcheck((input, w, b) => batchNorm(input, null, null, w, b, true).output.mul(r), [x, weight, bias]);
    gradcheck((input, w) => batchNorm(input, null, null, w, null, true).output.mul(r), [x, weight]);
    gradcheck((input) => batchNorm(input, null, null, null, null, true, 0.1).output.mul(r), [x]);
    gradcheck((input, w, b) => batchNorm(input, null, null, w, b, true).output.mul(tensor([[1, -2, 3, 0.5]], f64)), [randn([5, 4], f64), weight, bias]);
  });

  it('BatchNorm2d refuses one value per channel in training, as PyTorch does, and takes it in eval mode', async () => {
    const bn = new BatchNorm2d(4);
    const x = arange(4, undefined, 1, { dtype: 'float32' }).reshape(1, 4, 1, 1);
    expect(() => bn.forward(x)).toThrow(/BatchNorm2d\(4\): expected more than 1 value per channel when training, got input \[1,4,1,1\]/);
    bn.eval();
    await expectClose(bn.forward(x), [0, 1, 2, 3].map((v) => v / Math.sqrt(1 + 1e-5)));
  });

  it('LayerNorm', async () => {
    const x = arange(24, undefined, 1, { dtype: 'float32' }).reshape(2, 3, 4).div(10).sub(1);
    const ln = new LayerNorm(4);
    noGrad(() => {
      ln.weight!.copy_(tensor([1, 0.5, 2, 1.5]));
      ln.bias!.copy_(tensor([0.1, 0.2, 0.3, 0.4]));
    });
    await expectClose(ln.forward(x), expected('ln') as number[]);
  });
});

describe('modules', () => {
  it('state-dict keys are PyTorch\'s', () => {
    const model = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2), new ReLU(), new Flatten(), new Linear(8, 3));
    expect(Object.keys(model.stateDict())).toEqual(expected('keys'));
    expect(model.parameters()).toHaveLength(6);
  });

  it('Linear initializes with PyTorch\'s bounds and computes x·Wᵀ + b', async () => {
    manualSeed(0);
    const fc = new Linear(8, 3);
    const bound = expected('linear_default_bound') as number;
    for (const p of fc.parameters()) expect(Math.max(...Array.from(p.dataSync()).map(Math.abs))).toBeLessThanOrEqual(bound);
    noGrad(() => {
      fc.weight.copy_(arange(24, undefined, 1, { dtype: 'float32' }).reshape(3, 8).div(10));
      fc.bias!.copy_(tensor([1, 2, 3]));
    });
    const x = arange(8, undefined, 1, { dtype: 'float32' }).reshape(1, 8);
    // Row r of W is (8r … 8r+7)/10, so x·W_rᵀ = Σ i·(8r+i)/10 = (8r·28 + 140)/10.
    await expectClose(fc.forward(x), [0 * 22.4 + 14 + 1, 22.4 + 14 + 2, 44.8 + 14 + 3]);
  });

  it('loadStateDict copies in place and reports shape and key mismatches', async () => {
    const a = new Linear(4, 2);
    const b = new Linear(4, 2);
    const weightBefore = b.weight;
    b.loadStateDict(a.stateDict());
    expect(b.weight).toBe(weightBefore);
    expect(Array.from(await b.weight.data())).toEqual(Array.from(await a.weight.data()));
    expect(() => b.loadStateDict({ weight: zeros([2, 5]), bias: zeros([2]) })).toThrow("loadStateDict: 'weight' has shape [2,5] in the state dict, [2,4] in the model");
    expect(() => b.loadStateDict({ weight: zeros([2, 4]) })).toThrow(/missing keys \[bias\]/);
    expect(b.loadStateDict({ weight: zeros([2, 4]), extra: zeros([1]) }, { strict: false })).toEqual({ missingKeys: ['bias'], unexpectedKeys: ['extra'] });
  });

  it('train/eval switch dropout, which scales kept elements by 1/(1 − p)', async () => {
    manualSeed(3);
    const drop = new Dropout(0.25);
    const y = Array.from(await drop.forward(zeros([10_000]).add(1)).data());
    const kept = y.filter((v) => v !== 0);
    kept.forEach((v) => expect(v).toBeCloseTo(4 / 3, 6));
    expect(Math.abs(kept.length / y.length - 0.75)).toBeLessThan(0.02);
    drop.eval();
    expect(Array.from(await drop.forward(tensor([1, 2])).data())).toEqual([1, 2]);
    expect(() => new Dropout(1.5)).toThrow(/must be in \[0, 1\], got 1.5/);
  });

  it('Embedding looks rows up and gives the padding row no gradient', async () => {
    const emb = new Embedding(5, 3, { paddingIdx: 0 });
    expect(Array.from(await emb.weight.select(0, 0).data())).toEqual([0, 0, 0]);
    const out = emb.forward(tensor([[1, 0, 1]], { dtype: 'int32' }));
    expect(out.shape).toEqual([1, 3, 3]);
    out.sum().backward();
    const grad = await emb.weight.grad!.toArray() as number[][];
    expect(grad[0]).toEqual([0, 0, 0]);
    expect(grad[1]).toEqual([2, 2, 2]);
  });

  it('a LeNet-sized CNN trains in a scope per step with flat memory', () => {
    manualSeed(4);
    const model = new Sequential(new Conv2d(1, 4, 3, { padding: 1 }), new ReLU(), new Flatten(), new Linear(4 * 8 * 8, 3));
    const x = randn([8, 1, 8, 8]);
    const y = tensor([0, 1, 2, 0, 1, 2, 0, 1], { dtype: 'int32' });
    let before = memoryStats();
    let first = 0;
    let last = 0;
    for (let step = 0; step < 60; step++) {
      scope(() => {
        const loss = crossEntropy(model.forward(x), y);
        model.zeroGrad();
        loss.backward();
        noGrad(() => {
          for (const p of model.parameters()) p.copy_(p.sub(p.grad!.mul(0.1)));
        });
        if (step === 0) first = loss.dataSync()[0];
        last = loss.dataSync()[0];
      });
      if (step === 2) before = memoryStats();
    }
    model.zeroGrad();
    expect(last).toBeLessThan(first * 0.2);
    const after = memoryStats();
    expect(after.tensors).toBeLessThanOrEqual(before.tensors);
    expect(after.bytes).toBeLessThanOrEqual(before.bytes);
  });
});
