import { DTypeError, formatShape, isFloating, ShapeError, ValueError, type Tensor } from '@fathom/core';

/**
 * Returns `value` when it is a positive integer, else throws a
 * {@link ValueError} naming the model and the option
 * (`MLP: inFeatures must be a positive integer, got 0`).
 */
export function checkPositiveInteger(model: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ValueError(`${model}: ${option} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/**
 * The batch as one row of features per sample: (N, ...) → (N, inFeatures),
 * so image batches (N, C, H, W) and feature batches (N, F) both go into a
 * Linear layer (`x.flatten(1)` in PyTorch). Throws a {@link ShapeError} naming
 * the model when a sample does not hold exactly `inFeatures` values, and a
 * {@link DTypeError} for integer or bool input.
 */
export function flattenSamples(model: string, x: Tensor, inFeatures: number): Tensor {
  const perSample = x.shape.slice(1).reduce((product, size) => product * size, 1);
  if (x.ndim < 2 || perSample !== inFeatures) {
    const got = x.ndim < 2 ? formatShape(x.shape) : `${formatShape(x.shape)} (${perSample} features per sample)`;
    throw new ShapeError(`${model}: input must be (N, ${inFeatures}) or (N, ...) with ${inFeatures} features per sample, got ${got}`);
  }
  if (!isFloating(x.dtype)) throw new DTypeError(`${model}: input must be float32 or float64, got ${x.dtype}`);
  return x.ndim === 2 ? x : x.flatten(1); // (N, inFeatures)
}
