import { formatShape, ShapeError, type Tensor } from '@fathom/core';
import { reduce, type Reduction } from './reduction.js';

function checkShapes(op: string, input: Tensor, target: Tensor): void {
  if (input.ndim !== target.ndim || input.shape.some((s, i) => s !== target.shape[i])) {
    throw new ShapeError(`${op}: target ${formatShape(target.shape)} must have the input's shape ${formatShape(input.shape)} (PyTorch would broadcast with a warning)`);
  }
}

/** Mean squared error `(x − y)²` (`F.mse_loss`). */
export function mseLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  checkShapes('mseLoss', input, target);
  return reduce(input.sub(target).square(), options.reduction);
}

/** Mean absolute error `|x − y|` (`F.l1_loss`). */
export function l1Loss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  checkShapes('l1Loss', input, target);
  return reduce(input.sub(target).abs(), options.reduction);
}
