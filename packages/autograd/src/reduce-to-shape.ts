import { formatShape, ShapeError, type Shape, type Tensor } from '@fathom/core';

/**
 * Sums a gradient of a broadcast result back to the shape of the operand that
 * was broadcast: leading dims added by broadcasting and dims that were size 1
 * are summed over.
 */
export function sumToShape(grad: Tensor, shape: Shape): Tensor {
  if (grad.ndim === shape.length && grad.shape.every((size, i) => size === shape[i])) return grad;
  const lead = grad.ndim - shape.length;
  if (lead < 0) throw new ShapeError(`sumToShape: gradient ${formatShape(grad.shape)} has fewer dims than ${formatShape(shape)}`);
  const dims: number[] = [];
  for (let d = 0; d < grad.ndim; d++) {
    if (d < lead || (shape[d - lead] === 1 && grad.shape[d] !== 1)) dims.push(d);
  }
  const summed = dims.length > 0 ? grad.sum(dims, true) : grad;
  return lead > 0 || summed.ndim !== shape.length ? summed.reshape(shape) : summed;
}
