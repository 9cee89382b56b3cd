import { describe, it } from 'vitest';
import { conv2d, embedding, manualSeed, randn, tensor, type Tensor } from '@fathom/core';
import { gradcheck, useAutograd } from '@fathom/autograd';
import { batchNorm, bceWithLogits, binaryCrossEntropy, crossEntropy, layerNorm, linear, l1Loss, mseLoss, nllLoss } from '../src/index.js';

useAutograd();
const f64 = (shape: number[]) => randn(shape, { dtype: 'float64' });

// Float64 finite differences against each layer's analytic gradients, for
// every input and parameter (TESTING.md: eps 1e-6, atol 1e-5, rtol 1e-3).
describe('layer gradients pass gradcheck', () => {
  manualSeed(11);

  it('linear: input, weight and bias', () => {
    gradcheck((x, w, b) => linear(x, w, b), [f64([3, 4]), f64([5, 4]), f64([5])]);
  });

  it('conv2d with bias, stride and padding', () => {
    gradcheck((x, w, b) => conv2d(x, w, { bias: b, stride: 2, padding: 1 }), [f64([2, 2, 5, 5]), f64([3, 2, 3, 3]), f64([3])]);
  });

  it('batchNorm in training mode: input, weight and bias', () => {
    gradcheck((x, w, b) => batchNorm(x, null, null, w, b, true).output, [f64([4, 3, 2, 2]), f64([3]), f64([3])]);
  });

  it('batchNorm in training mode without affine parameters, with a weight only, and with the input constant', () => {
    // Weighted, so that the output's gradient is not constant over each channel (whose input gradient is 0).
    const weights = f64([5, 2, 3]);
    gradcheck((x) => batchNorm(x, null, null, null, null, true).output.mul(weights), [f64([5, 2, 3])]);
    gradcheck((x, w) => batchNorm(x, null, null, w, null, true).output.mul(weights.reshape([3, 2, 5])), [f64([3, 2, 5]), f64([2])]);
    const x = f64([4, 3, 2]);
    gradcheck((w, b) => batchNorm(x, null, null, w, b, true).output.square(), [f64([3]), f64([3])]);
  });

  it('layerNorm: input, weight and bias', () => {
    gradcheck((x, w, b) => layerNorm(x, [4], w, b), [f64([3, 4]), f64([4]), f64([4])]);
  });

  it('embedding: weight', () => {
    const indices = tensor([[0, 2], [2, 1]], { dtype: 'int32' });
    gradcheck((w: Tensor) => embedding(indices, w), [f64([3, 4])]);
  });

  it('losses', () => {
    const targets = tensor([1, 0, 3], { dtype: 'int32' });
    gradcheck((x) => crossEntropy(x, targets, { labelSmoothing: 0.1 }), [f64([3, 4])]);
    gradcheck((x) => nllLoss(x.logSoftmax(1), targets, { weight: tensor([1, 2, 0.5, 1], { dtype: 'float64' }) }), [f64([3, 4])]);
    gradcheck((x, y) => mseLoss(x, y), [f64([2, 3]), f64([2, 3])]);
    gradcheck((x) => l1Loss(x, tensor([[5, 5, 5]], { dtype: 'float64' })), [f64([1, 3])]);
    gradcheck((x) => binaryCrossEntropy(x.sigmoid(), tensor([0, 1, 1], { dtype: 'float64' })), [f64([3])]);
    gradcheck((x) => bceWithLogits(x, tensor([0, 1, 0.3], { dtype: 'float64' }), { posWeight: tensor(2, { dtype: 'float64' }) }), [f64([3])]);
  });
});
