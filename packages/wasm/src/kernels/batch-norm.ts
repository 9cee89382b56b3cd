import type { BackendBuffer, BatchNormParams, Kernels } from '@fathom/core/backend';
import type { KernelRunner } from '../kernel-runner.js';

/** Training-mode batch normalization and its gradients (csrc/batch_norm.c). */
export function batchNormKernels(runner: KernelRunner): Pick<Kernels, 'batchNorm' | 'batchNormBackward'> {
  return {
    batchNorm(x, weight, bias, out, mean, variance, p: BatchNormParams): void {
      runner.call('fathom_batch_norm', 'batchNorm', {
        x, weight: weight ?? x, bias: bias ?? x, out, mean, variance, outer: p.outer, channels: p.channels, inner: p.inner, eps: p.eps,
        hasWeight: Number(weight !== null), hasBias: Number(bias !== null),
      });
    },
    batchNormBackward(grad, x, mean, variance, weight, gradInput: BackendBuffer | null, gradWeight, gradBias, p: BatchNormParams): void {
      runner.call('fathom_batch_norm_backward', 'batchNormBackward', {
        grad, x, mean, variance, weight: weight ?? x, gradInput: gradInput ?? gradWeight, gradWeight, gradBias,
        outer: p.outer, channels: p.channels, inner: p.inner, eps: p.eps, hasWeight: Number(weight !== null), hasGradInput: Number(gradInput !== null),
      });
    },
  };
}
