import {
  adaptiveAvgPool2dGrad, avgPool2dGrad, conv2dInputGrad, conv2dWeightGrad, gather, maxPool2dGrad, pad, scatterAdd,
} from '@fathom/core';
import type { FormulaFamily } from '../formula.js';

/** Gradients of convolution, pooling, log-softmax and the gather/scatter pair, through the backward kernels core declares. */
export const nnFormulas: FormulaFamily<'conv2d' | 'maxPool2d' | 'avgPool2d' | 'adaptiveAvgPool2d' | 'logSoftmax' | 'gather' | 'scatterAdd'> = {
  conv2d: {
    save: ({ inputs }) => [inputs[0], inputs[1]],
    backward: (grad, { saved, attrs, needsGrad }) => {
      const [x, weight] = saved;
      const { options } = attrs;
      const grads = [
        needsGrad[0] ? conv2dInputGrad(grad, weight, x.shape, options) : null,
        needsGrad[1] ? conv2dWeightGrad(x, grad, weight.shape, options) : null,
      ];
      // A third input is a bias the backend added in the kernel: each channel's sum.
      if (needsGrad.length > 2) grads.push(needsGrad[2] ? grad.sum([0, 2, 3]) : null);
      return grads;
    },
  },
  maxPool2d: {
    save: ({ attrs }) => [attrs.indices],
    backward: (grad, { saved, attrs, inputShapes }) => [
      maxPool2dGrad(grad, saved[0], inputShapes[0], attrs.kernelSize, attrs.options),
    ],
  },
  avgPool2d: {
    backward: (grad, { attrs, inputShapes }) => [avgPool2dGrad(grad, inputShapes[0], attrs.kernelSize, attrs.options)],
  },
  adaptiveAvgPool2d: { backward: (grad, { inputShapes }) => [adaptiveAvgPool2dGrad(grad, inputShapes[0])] },
  // y = x − logsumexp(x): dx = g − softmax(x)·Σ g, with softmax(x) = exp(y).
  logSoftmax: {
    save: ({ output }) => [output],
    backward: (grad, { saved, attrs }) => [grad.sub(saved[0].exp().mul(grad.sum(attrs.dim, true)))],
  },
  gather: {
    save: ({ inputs }) => [inputs[1]],
    backward: (grad, { saved, attrs, inputShapes }) => [scatterAdd(grad.newZeros(inputShapes[0]), attrs.dim, saved[0], grad), null],
  },
  scatterAdd: {
    save: ({ inputs }) => [inputs[1]],
    backward: (grad, { saved, attrs, inputShapes }) => {
      // src positions beyond the index's extent were never added: their gradient is zero.
      const picked = gather(grad, attrs.dim, saved[0]);
      const padding = [...inputShapes[2]].reverse().flatMap((size, k) => [0, size - picked.shape[picked.ndim - 1 - k]]);
      return [grad, null, padding.some((p) => p > 0) ? pad(picked, padding) : picked];
    },
  },
};
