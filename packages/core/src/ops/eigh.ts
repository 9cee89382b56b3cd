import { isFloating } from '../dtype.js';
import { DTypeError, ShapeError } from '../errors.js';
import { symmetricEigen } from '../linalg/symmetric-eigen.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** Eigenvalues (descending) and unit eigenvectors (as columns) of a symmetric matrix. */
export interface Eigh {
  readonly eigenvalues: Tensor;
  readonly eigenvectors: Tensor;
}

/**
 * Eigendecomposition of a symmetric (n, n) matrix, computed in float64 on the
 * host whatever the device (results come back on `x`'s device and dtype).
 * Unlike `torch.linalg.eigh`, eigenvalues are sorted descending — the order
 * PCA wants — and each eigenvector's largest component is positive.
 *
 * ```ts
 * const { eigenvalues, eigenvectors } = await eigh(covariance);
 * ```
 */
export async function eigh(x: Tensor): Promise<Eigh> {
  if (x.ndim !== 2 || x.shape[0] !== x.shape[1]) throw new ShapeError(`eigh: expects a square matrix, got ${formatShape(x.shape)}`);
  if (!isFloating(x.dtype)) throw new DTypeError(`eigh: expects a float matrix, got ${x.dtype}`);
  const n = x.shape[0];
  const { values, vectors } = symmetricEigen(Float64Array.from(await x.data()), n);
  return { eigenvalues: x.newTensor(values, [n]), eigenvectors: x.newTensor(vectors, [n, n]) };
}
