import { checkPerChannel, DTypeError, formatShape, isFloating, ShapeError, tensor, type BatchNormRunningStatistics, type Tensor } from '@fathom/core';
import { BatchNorm, BatchNorm1d, BatchNorm2d, batchNormWithStatistics, localBatchStatistics, type BatchNormOptions, type BatchStatistics, type Module } from '@fathom/layers';
import { DistributedError } from './distributed-error.js';
import type { ProcessGroup } from './process-group.js';

/** Options of {@link SyncBatchNorm}: BatchNorm's, and the ranks whose batches are normalised together. */
export interface SyncBatchNormOptions extends BatchNormOptions {
  /** The ranks the statistics are computed over (PyTorch's `process_group`). */
  readonly group: ProcessGroup;
}

/** What {@link syncBatchNorm} returns: the output and the statistics of the batch of every rank, `count` summed over the ranks. */
export type SyncBatchNormResult = BatchStatistics;

/**
 * Batch normalization over the channel dim 1 of `x` with the mean and biased
 * variance of the batch of every rank of `group`, as a training-mode
 * `torch.nn.SyncBatchNorm` computes them; the functional form of
 * {@link SyncBatchNorm}, which also updates the running statistics.
 *
 * Forward gathers each rank's element count, mean and variance per channel
 * (one all-gather of 1 + 2C float64 values) and combines them in float64 with
 * Chan et al.'s formula, as PyTorch does: exact for one rank, and free of the
 * cancellation of a sum of squares. Backward all-reduces the per-channel sums
 * of dy and dy·x̂ (2C values), which the input's gradient needs:
 * dx = w·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)), the means over all ranks.
 * The weight and bias gradients are this rank's own (Σ dy·x̂, Σ dy): DDP
 * averages them like any other. Both collectives block (they run inside
 * forward and backward, which cannot await), so `x` must be on a device that
 * reads synchronously (cpu, wasm). Every rank must call it, in the same
 * order; a rank may bring an empty batch. Backward skips its all-reduce when
 * `x` needs no gradient, so that must be the same on every rank too. With
 * `running`, those statistics (a layer's buffers) move towards the global
 * ones in place, the variance unbiased with the global count.
 *
 * ```ts
 * const { output } = syncBatchNorm(x, weight, bias, group);   // x: (N, C, H, W) on each rank
 * ```
 */
export function syncBatchNorm(
  x: Tensor, weight: Tensor | null, bias: Tensor | null, group: ProcessGroup, eps = 1e-5, running: BatchNormRunningStatistics | null = null,
): SyncBatchNormResult {
  checkInput('syncBatchNorm', x, group);
  const channels = x.shape[1];
  // Before any exchange with the other ranks, so a bad operand fails here and not part-way through.
  checkPerChannel('syncBatchNorm', x, { weight, bias, 'running mean': running?.mean, 'running variance': running?.variance });
  return batchNormWithStatistics(x, weight, bias, eps, {
    name: 'syncBatchNorm',
    statistics: (input, dims) => globalStatistics(input, group, dims),
    gradientMeans(gradSum, gradNormalizedSum, count) {
      checkSyncRead('backward of syncBatchNorm', gradSum, group);
      const sums = new Float64Array(2 * channels);
      sums.set(gradSum.dataSync(), 0);
      sums.set(gradNormalizedSum.dataSync(), channels);
      group.allReduceArraySync(sums, { op: 'sum' });
      const means = sums.map((v) => v / count);
      const options = { dtype: gradSum.dtype, device: gradSum.device };
      return [tensor(means.subarray(0, channels), options), tensor(means.subarray(channels), options)];
    },
  }, running);
}

/**
 * Batch normalization whose training-mode statistics are those of the batch
 * of every rank of the group (`torch.nn.SyncBatchNorm`): with a small batch
 * per rank (detection, segmentation, large models), each rank normalising
 * with its own few samples trains worse than one process would.
 *
 * - **Training**: mean and biased variance per channel over all ranks'
 *   batches (see {@link syncBatchNorm}); the running statistics move towards
 *   them with `momentum`, the variance unbiased with the global count, as
 *   BatchNorm does — so every rank's running statistics stay equal.
 * - **Evaluation**: the running statistics, no communication (this rank's
 *   batch statistics without `trackRunningStats`, as PyTorch).
 * - One rank gives BatchNorm's output and running statistics bit for bit.
 *
 * Input: (N, C, …) with any number of trailing dims, on a device that reads
 * synchronously (cpu, wasm); on webgpu forward throws a {@link DistributedError}.
 * The state-dict keys are BatchNorm's.
 *
 * ```ts
 * const group = await init();
 * const model = SyncBatchNorm.convertSyncBatchnorm(resnet18(), group);
 * const ddp = await DistributedDataParallel.create(model, group);
 * ```
 */
export class SyncBatchNorm extends BatchNorm {
  /** The ranks whose batches are normalised together. */
  readonly group: ProcessGroup;

  constructor(numFeatures: number, options: SyncBatchNormOptions) {
    super(numFeatures, options, [2, 3, 4, 5]);
    this.group = options.group;
  }

  /** The statistics of every rank's batch; the running statistics move towards them, unbiased with their global count. */
  protected override batchStatistics(x: Tensor, running: BatchNormRunningStatistics | null): BatchStatistics {
    return syncBatchNorm(x, this.weight, this.bias, this.group, this.eps, running);
  }

  /**
   * Turns every `BatchNorm1d` and `BatchNorm2d` in `module`'s tree (`module`
   * itself included) into a SyncBatchNorm over `group`, keeping its
   * parameters and buffers — the same tensors, so an optimizer already made
   * keeps training them — its options, its training mode and its state-dict
   * keys (PyTorch's `convert_sync_batchnorm`). Returns `module`.
   *
   * The conversion is in place: the BatchNorm objects become SyncBatchNorms.
   * Why not new objects, as PyTorch makes: a Fathom module holds its children
   * in its own fields too (`Sequential`'s list, a ResNet block's `this.bn1`),
   * which a new object registered under the same name would not reach.
   *
   * ```ts
   * const model = SyncBatchNorm.convertSyncBatchnorm(new Sequential(new Conv2d(3, 8, 3), new BatchNorm2d(8)), group);
   * ```
   */
  static convertSyncBatchnorm<M extends Module>(module: M, group: ProcessGroup): M {
    for (const child of module.modules()) {
      if (!(child instanceof BatchNorm1d || child instanceof BatchNorm2d)) continue;
      // A BatchNorm already: its fields, parameters and buffers are SyncBatchNorm's; what it adds
      // is the group and the statistics over the ranks.
      Object.setPrototypeOf(child, SyncBatchNorm.prototype);
      Object.defineProperty(child, 'group', { value: group, enumerable: true, writable: false, configurable: false });
    }
    return module;
  }
}

function checkSyncRead(op: string, t: Tensor, group: ProcessGroup): void {
  if (!t.backend.capabilities.syncRead) {
    throw new DistributedError(
      `${op}: SyncBatchNorm needs a device with synchronous reads (cpu or wasm); this tensor is on '${t.device}', which reads only asynchronously, ` +
      'and the statistics are exchanged inside forward and backward, which cannot await. Train on cpu or wasm, or use BatchNorm (statistics per rank)',
      group.rank,
    );
  }
}

function checkInput(op: string, x: Tensor, group: ProcessGroup): void {
  if (x.ndim < 2) throw new ShapeError(`${op}: expected input (N, C, …) with at least 2 dims, got ${formatShape(x.shape)}`);
  if (!isFloating(x.dtype)) throw new DTypeError(`${op}: expected a float input, got ${x.dtype}`);
  checkSyncRead(op, x, group);
}

/**
 * The mean and biased variance per channel (each (1, C, 1, …), in x's dtype)
 * over the batch of every rank, and the number of elements per channel. Each
 * rank sends [n, mean (C), variance (C)] in float64; the combination
 * (Chan, Golub and LeVeque) is M2 = Σ n_r·(var_r + (mean_r − mean)²), which for
 * one rank returns its own mean and variance exactly.
 */
function globalStatistics(x: Tensor, group: ProcessGroup, dims: readonly number[]): { mean: Tensor; variance: Tensor; count: number } {
  const channels = x.shape[1];
  const stride = 1 + 2 * channels;
  const local = new Float64Array(stride); // [n, mean (C), variance (C)]
  local[0] = x.numel / channels;
  if (local[0] > 0) {
    // This rank's statistics as BatchNorm computes them (two passes, not E[x²] − E[x]²).
    const { mean, variance } = localBatchStatistics.statistics(x, dims);
    local.set(mean.dataSync(), 1);
    local.set(variance.dataSync(), 1 + channels);
  }
  const all = group.allGatherArraySync(local); // (ranks, 1 + 2C)
  let count = 0;
  for (let r = 0; r < group.worldSize; r++) count += all[r * stride];
  if (count === 0) throw new ShapeError(`syncBatchNorm: the batch is empty on every rank (input ${formatShape(x.shape)} on rank ${group.rank})`);
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    let total = 0;
    for (let r = 0; r < group.worldSize; r++) if (all[r * stride] > 0) total += all[r * stride] * all[r * stride + 1 + c];
    mean[c] = total / count;
    let m2 = 0;
    for (let r = 0; r < group.worldSize; r++) {
      const n = all[r * stride];
      if (n === 0) continue;
      const shift = all[r * stride + 1 + c] - mean[c];
      m2 += n * (all[r * stride + 1 + channels + c] + shift * shift);
    }
    variance[c] = m2 / count;
  }
  const options = { shape: x.shape.map((size, d) => (d === 1 ? size : 1)), dtype: x.dtype, device: x.device }; // (1, C, 1, …)
  return { mean: tensor(mean, options), variance: tensor(variance, options), count };
}
