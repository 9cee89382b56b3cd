import { promoteTypes } from '../dtype.js';
import { ShapeError, ValueError } from '../errors.js';
import { formatShape, normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { commonBackend } from './operand.js';
import { narrow, unsqueeze } from './view.js';
import { recordOp } from '../gradient-hook.js';
import { scope } from '../scope.js';

/**
 * Joins tensors along an existing dim; all other sizes must match. As in
 * PyTorch, 1-D empty tensors (shape [0]) are skipped; dtypes are promoted.
 *
 * ```ts
 * cat([zeros([2, 3]), ones([1, 3])], 0); // shape [3, 3]
 * ```
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ValueError('cat: expects a non-empty list of tensors');
  commonBackend('cat', tensors);
  const parts = tensors.filter((t) => !(t.ndim === 1 && t.shape[0] === 0));
  if (parts.length === 0) return tensors[0].newZeros([0], tensors.map((t) => t.dtype).reduce(promoteTypes));
  const first = parts[0];
  const d = normalizeDim('cat', dim, first.ndim);
  for (const t of parts) {
    if (t.ndim !== first.ndim || t.shape.some((size, i) => i !== d && size !== first.shape[i])) {
      throw new ShapeError(`cat: shapes ${formatShape(first.shape)} and ${formatShape(t.shape)} differ outside dimension ${dim}`);
    }
  }
  // Skipped empties still take part in type promotion, as in PyTorch.
  const dtype = tensors.map((t) => t.dtype).reduce(promoteTypes);
  const shape = [...first.shape];
  shape[d] = parts.reduce((total, t) => total + t.shape[d], 0);
  const out = first.newZeros(shape, dtype);
  scope(() => {
    let at = 0;
    for (const t of parts) {
      first.backend.kernels.copy(t.layout(), narrow(out, d, at, t.shape[d]).layout());
      at += t.shape[d];
    }
  });
  return recordOp('cat', tensors, out, { dim: d, sizes: tensors.map((t) => (parts.includes(t) ? t.shape[d] : 0)) });
}

/** Joins same-shaped tensors along a new dim `dim`. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ValueError('stack: expects a non-empty list of tensors');
  for (const t of tensors) {
    if (t.ndim !== tensors[0].ndim || t.shape.some((size, i) => size !== tensors[0].shape[i])) {
      throw new ShapeError(`stack: all tensors must have one shape, got ${formatShape(tensors[0].shape)} and ${formatShape(t.shape)}`);
    }
  }
  const d = normalizeDim('stack', dim, tensors[0].ndim + 1);
  return scope(() => cat(tensors.map((t) => unsqueeze(t, d)), d));
}
