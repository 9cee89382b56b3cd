import { batchNormTrain, batchNormTrainBackward, channelAffine, updateRunningStatistics, type BatchNormRunningStatistics, type Tensor } from '@fathom/core';
import { customFunction } from '@fathom/autograd';

/** Per-channel statistics a training-mode batch norm normalizes with, each (1, C, 1, …). */
export interface BatchNormBatchStatistics {
  readonly mean: Tensor;
  /** Biased variance. */
  readonly variance: Tensor;
  /** Elements per channel the statistics cover. */
  readonly count: number;
  /** x − mean, where the statistics already computed it (saves a pass). */
  readonly deviation?: Tensor;
}

/** Where a training-mode batch norm takes its statistics from: this batch, or (SyncBatchNorm) every rank's. */
export interface BatchNormStatisticsSource {
  /** The op's name in the autograd graph. */
  readonly name: string;
  /** Mean and biased variance per channel of `x` (detached) over its `dims` (all but 1), and the elements they cover. */
  statistics(x: Tensor, dims: readonly number[]): BatchNormBatchStatistics;
  /**
   * The means of dy and of dy·x̂ per channel over the same elements (C values
   * each, in any shape), from this batch's sums (C each) and the statistics' count.
   */
  gradientMeans(gradSum: Tensor, gradNormalizedSum: Tensor, count: number): readonly [Tensor, Tensor];
}

/** What a training-mode batch norm returns: the output and the statistics it normalised with. */
export interface BatchStatistics {
  readonly output: Tensor;
  /** Per-channel mean (C). */
  readonly mean: Tensor;
  /** Per-channel biased variance (C). */
  readonly variance: Tensor;
  /** Elements per channel the statistics cover: the running variance's unbiasing count. */
  readonly count: number;
}

interface BackwardState {
  readonly count: number;
  readonly hasWeight: boolean;
  readonly hasBias: boolean;
}

/**
 * Batch normalization over dim 1 with the statistics `source` gives, as one
 * node of the graph with a closed-form backward (PyTorch's
 * `native_batch_norm_backward`):
 *
 *   dx = w·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)),  dw = Σ dy·x̂,  db = Σ dy,
 *
 * with Σ dy·x̂ = invstd·Σ dy·(x − mean). Differentiating the forward's ops one
 * by one made more kernels, most of them passes over the whole input: a
 * BatchNorm2d's forward, backward and running-statistics update took 55,
 * then 43. With this batch's statistics (`localBatchStatistics`) the forward
 * and backward are core's `batchNormTrain` and `batchNormTrainBackward`,
 * which move `running` (unless null) in the same call: 5 kernels where the
 * device fuses them. Other sources move `running` with the separate ops.
 */
export function batchNormWithStatistics(
  x: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number, source: BatchNormStatisticsSource, running: BatchNormRunningStatistics | null = null,
): BatchStatistics {
  if (source === localBatchStatistics) return localBatchNorm(x, weight, bias, eps, running);
  const dims = x.shape.map((_, d) => d).filter((d) => d !== 1);
  const channels = x.shape[1];
  const broadcast = x.shape.map((size, d) => (d === 1 ? size : 1)); // (1, C, 1, …)
  let statistics: BatchNormBatchStatistics | null = null;
  const apply = customFunction<BackwardState>(source.name, {
    forward(input, ...affine) {
      statistics = source.statistics(input, dims);
      const w = weight ? affine[0] : null;
      const b = bias ? affine[weight ? 1 : 0] : null;
      // (x − mean) · scale + bias with the per-channel scale = weight / √(var + eps): the centred x
      // serves the output and the backward.
      const deviation = statistics.deviation ?? input.sub(statistics.mean);
      const invstd = statistics.variance.add(eps).rsqrt(); // (1, C, 1, …)
      const scale = w ? invstd.mul(w.reshape(broadcast)) : invstd;
      // One pass on a device with the fused kernel, where mul and add made two.
      const output = channelAffine(deviation, scale.reshape([channels]), { shift: b });
      return { output, saved: [deviation, invstd, ...(w ? [scale] : [])], state: { count: statistics.count, hasWeight: w !== null, hasBias: b !== null } };
    },
    backward(grad, { saved: [deviation, invstd, weightedScale], state, needsInputGrad }) {
      const gradSum = grad.sum(dims); // Σ dy (C)
      const gradNormalizedSum = grad.mul(deviation).sum(dims).mul(invstd.reshape([channels])); // Σ dy·x̂ (C)
      let gradInput: Tensor | null = null;
      if (needsInputGrad[0]) {
        const [meanGrad, meanGradNormalized] = source.gradientMeans(gradSum, gradNormalizedSum, state.count);
        const scale = (weightedScale ?? invstd).reshape([channels]);
        const normalizedWeight = invstd.reshape([channels]).mul(meanGradNormalized.reshape([channels])); // x̂·mean(dy·x̂) = (x − mean)·invstd·mean(dy·x̂)
        // (dy − (x − mean)·normalizedWeight − mean(dy))·scale, distributed over the three terms so that
        // a device with the fused kernel makes it in one pass (two subs and two muls were four).
        gradInput = channelAffine(grad, scale, {
          plus: { y: deviation, yScale: normalizedWeight.mul(scale).neg() },
          shift: meanGrad.reshape([channels]).mul(scale).neg(),
        });
      }
      const grads: (Tensor | null)[] = [gradInput];
      if (state.hasWeight) grads.push(needsInputGrad[grads.length] ? gradNormalizedSum : null);
      if (state.hasBias) grads.push(needsInputGrad[grads.length] ? gradSum : null);
      return grads;
    },
  });
  const output = apply(...[x, weight, bias].filter((t): t is Tensor => t !== null));
  const { mean, variance, count } = statistics!;
  const result = { output, mean: mean.reshape([channels]), variance: variance.reshape([channels]), count };
  if (running) updateRunningStatistics(running, result.mean, result.variance, count);
  return result;
}

interface LocalState {
  readonly hasWeight: boolean;
  readonly hasBias: boolean;
}

/**
 * {@link batchNormWithStatistics} with this batch's statistics: core's
 * `batchNormTrain` and `batchNormTrainBackward` (PyTorch's
 * `native_batch_norm` and its backward), one kernel each on a device that
 * fuses them, where the separate ops took 10 kernels forward and 12 backward,
 * most of them passes over the whole input. Saves x, not x − mean.
 */
function localBatchNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number, running: BatchNormRunningStatistics | null): BatchStatistics {
  let statistics: { readonly mean: Tensor; readonly variance: Tensor } | null = null;
  const apply = customFunction<LocalState>('batchNorm', {
    forward(input, ...affine) {
      const w = weight ? affine[0] : null;
      const b = bias ? affine[weight ? 1 : 0] : null;
      const { output, mean, variance } = batchNormTrain(input, w, b, eps, running);
      statistics = { mean, variance };
      return { output, saved: [input, mean, variance, ...(w ? [w] : [])], state: { hasWeight: w !== null, hasBias: b !== null } };
    },
    backward(grad, { saved: [input, mean, variance, w], state, needsInputGrad }) {
      const { gradInput, gradWeight, gradBias } = batchNormTrainBackward(grad, input, mean, variance, w ?? null, eps, needsInputGrad[0]);
      const grads: (Tensor | null)[] = [gradInput];
      if (state.hasWeight) grads.push(needsInputGrad[grads.length] ? gradWeight : null);
      if (state.hasBias) grads.push(needsInputGrad[grads.length] ? gradBias : null);
      return grads;
    },
  });
  const output = apply(...[x, weight, bias].filter((t): t is Tensor => t !== null));
  const { mean, variance } = statistics!;
  return { output, mean, variance, count: x.numel / x.shape[1] };
}

/** This batch's statistics over every dim but 1: two passes, the variance of the centred values. */
export const localBatchStatistics: BatchNormStatisticsSource = {
  name: 'batchNorm',
  statistics(x, dims) {
    const mean = x.mean(dims, true);
    const deviation = x.sub(mean);
    return { mean, variance: deviation.square().mean(dims, true), count: x.numel / x.shape[1], deviation };
  },
  gradientMeans: (gradSum, gradNormalizedSum, count) => [gradSum.div(count), gradNormalizedSum.div(count)],
};
