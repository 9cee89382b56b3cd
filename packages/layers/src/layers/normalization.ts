import { formatShape, ones, ShapeError, ValueError, zeros, tensor, type BatchNormRunningStatistics, type Tensor } from '@fathom/core';
import { noGrad } from '@fathom/autograd';
import { Module } from '../module.js';
import { batchNormWithStatistics, localBatchStatistics, type BatchStatistics } from './batch-norm-function.js';

/** Options of the BatchNorm layers, PyTorch's defaults. */
export interface BatchNormOptions {
  readonly eps?: number;
  /** Weight of the new batch statistic in the running averages (default 0.1). */
  readonly momentum?: number;
  /** Learn a per-channel scale and shift (default true). */
  readonly affine?: boolean;
  /** Keep running statistics for evaluation (default true). */
  readonly trackRunningStats?: boolean;
}

/**
 * Batch normalization over the channel dim 1 of `x`: in training, with the
 * batch's mean and biased variance over every other dim, moving
 * `runningMean` and `runningVar` (when given) towards them in place by
 * `momentum` (the variance towards the unbiased estimate); in evaluation,
 * with the running statistics (`torch.nn.functional.batch_norm`, whose
 * `momentum` comes before `eps`).
 *
 * ```ts
 * const runningMean = zeros([3]), runningVar = ones([3]);
 * const { output } = batchNorm(randn([8, 3, 4, 4]), runningMean, runningVar, null, null, true);
 * // runningMean is now 0.1 × this batch's mean
 * ```
 */
export function batchNorm(
  x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null, bias: Tensor | null, training: boolean, eps = 1e-5, momentum = 0.1,
): { output: Tensor; mean: Tensor | null; variance: Tensor | null } {
  if (training) {
    const running = runningMean && runningVar ? { mean: runningMean, variance: runningVar, momentum } : null;
    return batchNormWithStatistics(x, weight, bias, eps, localBatchStatistics, running);
  }
  if (!runningMean || !runningVar) return batchNormWithStatistics(x, weight, bias, eps, localBatchStatistics);
  // Evaluation: (x − running mean) · scale + bias with the per-channel scale = weight / √(running var + eps).
  const broadcast = x.shape.map((size, d) => (d === 1 ? size : 1)); // (1, C, 1, …)
  let scale = runningVar.reshape(broadcast).add(eps).rsqrt();
  if (weight) scale = scale.mul(weight.reshape(broadcast));
  const output = x.sub(runningMean.reshape(broadcast)).mul(scale);
  return { output: bias ? output.add(bias.reshape(broadcast)) : output, mean: null, variance: null };
}

/**
 * The BatchNorm layers' common part: parameters, running statistics, their
 * update, and the check of the input's dims. Subclasses choose the dims and
 * may gather the training statistics over more than this batch
 * ({@link BatchNorm.batchStatistics}; `SyncBatchNorm` does, over ranks).
 */
export abstract class BatchNorm extends Module {
  readonly eps: number;
  readonly momentum: number;

  constructor(readonly numFeatures: number, options: BatchNormOptions, private readonly inputDims: readonly number[]) {
    super();
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    const affine = options.affine ?? true;
    this.registerParameter('weight', affine ? ones([numFeatures]) : null);
    this.registerParameter('bias', affine ? zeros([numFeatures]) : null);
    const track = options.trackRunningStats ?? true;
    this.registerBuffer('running_mean', track ? zeros([numFeatures]) : null);
    this.registerBuffer('running_var', track ? ones([numFeatures]) : null);
    this.registerBuffer('num_batches_tracked', track ? tensor(0, { dtype: 'int32' }) : null);
  }

  /** Scale (C), or null without `affine`. */
  get weight(): Tensor | null { return this.optionalParameter('weight'); }
  /** Shift (C), or null without `affine`. */
  get bias(): Tensor | null { return this.optionalParameter('bias'); }

  forward(x: Tensor): Tensor {
    if (!this.inputDims.includes(x.ndim) || x.shape[1] !== this.numFeatures) {
      throw new ShapeError(`${this.constructor.name}(${this.numFeatures}): expected input with ${this.inputDims.join(' or ')} dims and ${this.numFeatures} channels in dim 1, got ${formatShape(x.shape)}`);
    }
    const tracking = this.namedBuffers('', false).length > 0;
    const runningMean = tracking ? this.buffer('running_mean') : null;
    const runningVar = tracking ? this.buffer('running_var') : null;
    // Evaluation: the running statistics, or this batch's where none are kept.
    if (!this.training) return batchNorm(x, runningMean, runningVar, this.weight, this.bias, false, this.eps).output;
    // The running variance moves towards the unbiased estimate, as PyTorch's does.
    const running = runningMean && runningVar ? { mean: runningMean, variance: runningVar, momentum: this.momentum } : null;
    const { output } = this.batchStatistics(x, running);
    if (running) {
      noGrad(() => {
        const batches = this.buffer('num_batches_tracked');
        batches.copy_(batches.add(1));
      });
    }
    return output;
  }

  /** Normalises `x` in training with the statistics of its batch, moving `running` (unless null) towards them. */
  protected batchStatistics(x: Tensor, running: BatchNormRunningStatistics | null): BatchStatistics {
    // One value per channel normalises to 0 whatever it is: nothing would learn (PyTorch refuses it too).
    if (x.numel === this.numFeatures) {
      throw new ValueError(`${this.constructor.name}(${this.numFeatures}): expected more than 1 value per channel when training, got input ${formatShape(x.shape)}; use a larger batch or eval()`);
    }
    return batchNormWithStatistics(x, this.weight, this.bias, this.eps, localBatchStatistics, running);
  }
}

/** Batch normalization of (N, C) or (N, C, L) input (`nn.BatchNorm1d`). */
export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options, [2, 3]);
  }
}

/** Batch normalization of (N, C, H, W) input (`nn.BatchNorm2d`). */
export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options, [4]);
  }
}

/** Normalizes over the trailing `normalizedShape.length` dims with their biased variance (`F.layer_norm`). */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const k = normalizedShape.length;
  if (x.ndim < k || normalizedShape.some((size, i) => x.shape[x.ndim - k + i] !== size)) {
    throw new ShapeError(`layerNorm: input ${formatShape(x.shape)} does not end in the normalized shape ${formatShape(normalizedShape)}`);
  }
  const dims = normalizedShape.map((_, i) => x.ndim - k + i);
  const mean = x.mean(dims, true);
  const variance = x.var(dims, { correction: 0, keepdim: true });
  let out = x.sub(mean).div(variance.add(eps).sqrt());
  if (weight) out = out.mul(weight);
  if (bias) out = out.add(bias);
  return out;
}

/**
 * Layer normalization (`nn.LayerNorm`, Ba et al. 2016): each sample is
 * normalized over its last dims, then scaled and shifted per element.
 *
 * ```ts
 * new LayerNorm([512]).forward(randn([8, 16, 512]));
 * ```
 */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];

  constructor(normalizedShape: number | readonly number[], readonly options: { eps?: number; elementwiseAffine?: boolean } = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    const affine = options.elementwiseAffine ?? true;
    this.registerParameter('weight', affine ? ones(this.normalizedShape) : null);
    this.registerParameter('bias', affine ? zeros(this.normalizedShape) : null);
  }

  /** Elementwise scale, or null. */
  get weight(): Tensor | null { return this.optionalParameter('weight'); }
  /** Elementwise shift, or null. */
  get bias(): Tensor | null { return this.optionalParameter('bias'); }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.options.eps ?? 1e-5);
  }
}
