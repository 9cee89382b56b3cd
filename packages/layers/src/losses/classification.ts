import { checkValues, DTypeError, formatShape, IndexError, isFloating, ShapeError, ValueError, where, type Tensor } from '@fathom/core';
import { reduce, type Reduction } from './reduction.js';

/** Options of {@link nllLoss} and {@link crossEntropy}, PyTorch's defaults. */
export interface ClassificationLossOptions {
  /** A weight per class (C). */
  readonly weight?: Tensor;
  /** Targets equal to this contribute nothing (default −100). */
  readonly ignoreIndex?: number;
  readonly reduction?: Reduction;
}

// Class indices must lie in [0, C) (or equal ignoreIndex). Checked where the
// device reads synchronously (a GPU would need a read-back mid-op), on every
// replay of a captured step too.
function checkTargets(op: string, target: Tensor, classes: number, ignoreIndex: number): void {
  checkValues(target, (values) => {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v !== ignoreIndex && (v < 0 || v >= classes)) {
        throw new IndexError(`${op}: target ${v} is out of bounds for ${classes} classes (valid: 0..${classes - 1}${ignoreIndex < 0 || ignoreIndex >= classes ? `, or ignoreIndex ${ignoreIndex}` : ''})`);
      }
    }
  });
}

function checkShapes(op: string, input: Tensor, target: Tensor): void {
  if (target.dtype !== 'int32') throw new DTypeError(`${op}: target must hold int32 class indices, got ${target.dtype}`);
  if (!isFloating(input.dtype)) throw new DTypeError(`${op}: input must be float, got ${input.dtype}`);
  if (input.ndim < 2) throw new ShapeError(`${op}: input must be (N, C) or (N, C, d1, …), got ${formatShape(input.shape)}`);
  const expected = [input.shape[0], ...input.shape.slice(2)];
  if (target.ndim !== expected.length || target.shape.some((s, i) => s !== expected[i])) {
    throw new ShapeError(`${op}: target ${formatShape(target.shape)} must have shape ${formatShape(expected)} for input ${formatShape(input.shape)}`);
  }
  if (input.shape[0] === 0) throw new ValueError(`${op}: empty batch (input ${formatShape(input.shape)})`);
}

interface PickedLogProbabilities {
  /** −log p of the target class, zero where ignored, times its class weight. */
  readonly losses: Tensor;
  /** The class weight of each target, zero where ignored: the divisor of the mean. */
  readonly weights: Tensor;
  readonly keep: Tensor;
}

function pickTargets(logProbabilities: Tensor, target: Tensor, weight: Tensor | undefined, ignoreIndex: number): PickedLogProbabilities {
  const keep = target.ne(ignoreIndex);
  const safeTarget = where(keep, target, 0).int();
  const picked = logProbabilities.gather(1, safeTarget.unsqueeze(1)).squeeze(1);
  const classWeight = weight ? weight.indexSelect(0, safeTarget.flatten()).reshape(target.shape) : null;
  const weights = classWeight ? where(keep, classWeight, 0) : keep.cast(logProbabilities.dtype);
  return { losses: picked.neg().mul(weights), weights, keep };
}

/**
 * Negative log-likelihood of class indices given log-probabilities (N, C) or
 * (N, C, d1, …) (`F.nll_loss`). With a class `weight`, the mean divides by the
 * summed weights of the targets, as PyTorch does.
 */
export function nllLoss(logProbabilities: Tensor, target: Tensor, options: ClassificationLossOptions = {}): Tensor {
  checkShapes('nllLoss', logProbabilities, target);
  const ignoreIndex = options.ignoreIndex ?? -100;
  checkTargets('nllLoss', target, logProbabilities.shape[1], ignoreIndex);
  const { losses, weights } = pickTargets(logProbabilities, target, options.weight, ignoreIndex);
  if ((options.reduction ?? 'mean') === 'mean') return losses.sum().div(weights.sum());
  return reduce(losses, options.reduction);
}

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions extends ClassificationLossOptions {
  /** Mixes the target with the uniform distribution: (1 − ε)·onehot + ε/C (default 0). */
  readonly labelSmoothing?: number;
}

/**
 * Cross-entropy of raw scores (N, C) or (N, C, d1, …) against class indices
 * (`F.cross_entropy`): `nllLoss(logSoftmax(input, 1), target)`, with PyTorch's
 * `weight`, `ignoreIndex`, `labelSmoothing` and reductions. A target outside
 * 0..C−1 raises an IndexError naming it and C.
 *
 * ```ts
 * crossEntropy(model.forward(x), y); // mean over the batch
 * ```
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  checkShapes('crossEntropy', input, target);
  const smoothing = options.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) throw new ValueError(`crossEntropy: labelSmoothing must be in [0, 1], got ${smoothing}`);
  const classes = input.shape[1];
  const ignoreIndex = options.ignoreIndex ?? -100;
  checkTargets('crossEntropy', target, classes, ignoreIndex);
  const logProbabilities = input.logSoftmax(1);
  const { losses, weights, keep } = pickTargets(logProbabilities, target, options.weight, ignoreIndex);
  const reduction = options.reduction ?? 'mean';
  let total = losses;
  if (smoothing > 0) {
    // PyTorch: the smoothing term is −Σ_c w_c·log p_c over classes, masked like the targets.
    const broadcast = input.shape.map((size, d) => (d === 1 ? size : 1));
    const weighted = options.weight ? logProbabilities.mul(options.weight.reshape(broadcast)) : logProbabilities;
    const smooth = where(keep, weighted.sum(1).neg(), 0);
    total = losses.mul(1 - smoothing).add(smooth.mul(smoothing / classes));
  }
  if (reduction === 'mean') return total.sum().div(weights.sum());
  return reduce(total, reduction);
}

/** Options of the binary losses. */
export interface BinaryLossOptions {
  /** A weight per element, broadcast against the input. */
  readonly weight?: Tensor;
  readonly reduction?: Reduction;
}

function checkSameShape(op: string, input: Tensor, target: Tensor): void {
  if (input.ndim !== target.ndim || input.shape.some((s, i) => s !== target.shape[i])) {
    throw new ShapeError(`${op}: target ${formatShape(target.shape)} must have the input's shape ${formatShape(input.shape)}`);
  }
}

/** Binary cross-entropy of probabilities in [0, 1] (`F.binary_cross_entropy`); each log is clamped at −100, as PyTorch does. */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BinaryLossOptions = {}): Tensor {
  checkSameShape('binaryCrossEntropy', input, target);
  const logP = input.log().clamp(-100);
  const logNotP = input.neg().add(1).log().clamp(-100);
  let losses = target.mul(logP).add(target.neg().add(1).mul(logNotP)).neg();
  if (options.weight) losses = losses.mul(options.weight);
  return reduce(losses, options.reduction);
}

/**
 * Binary cross-entropy on logits (`F.binary_cross_entropy_with_logits`),
 * computed as `(1 − y)·x + (1 + (pw − 1)·y)·(log(1 + e^−|x|) + max(−x, 0))`
 * so it never overflows; `posWeight` weighs the positive class.
 */
export function bceWithLogits(input: Tensor, target: Tensor, options: BinaryLossOptions & { posWeight?: Tensor } = {}): Tensor {
  checkSameShape('bceWithLogits', input, target);
  const softTerm = input.abs().neg().exp().log1p().add(input.neg().relu());
  const scale = options.posWeight ? options.posWeight.sub(1).mul(target).add(1) : null;
  let losses = target.neg().add(1).mul(input).add(scale ? scale.mul(softTerm) : softTerm);
  if (options.weight) losses = losses.mul(options.weight);
  return reduce(losses, options.reduction);
}
