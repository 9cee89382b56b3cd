import type { BackendBuffer, BatchNormForwardParams, BatchNormParams, Kernels } from '@fathom/core/backend';
import type { KernelRunner } from '../kernel-runner.js';

/** Training-mode batch normalization and its gradients (csrc/batch_norm.c). */
export function batchNormKernels(runner: KernelRunner): Pick<Kernels, 'batchNorm' | 'batchNormBackward'> {
  return {
    batchNorm(x, weight, bias, out, mean, variance, runningMean, runningVar, p: BatchNormForwardParams): void {
      const running = runningMean !== null && runningVar !== null;
      runner.call('fathom_batch_norm', 'batchNorm', {
        x, weight: weight ?? x, bias: bias ?? x, out, mean, variance, runningMean: runningMean ?? x, runningVar: runningVar ?? x,
        outer: p.outer, channels: p.channels, inner: p.inner, eps: p.eps, momentum: p.momentum,
        hasWeight: Number(weight !== null), hasBias: Number(bias !== null), hasRunning: Number(running),
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
