import { ShapeError } from '../errors.js';
import { recordOp } from '../gradient-hook.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { clone } from './copy.js';
import { select, slice } from './view.js';

function writeInto(op: string, base: Tensor, window: Tensor, src: Tensor): void {
  if (window.ndim !== src.ndim || window.shape.some((size, i) => size !== src.shape[i])) {
    throw new ShapeError(`${op}: src ${formatShape(src.shape)} must have the shape of the window ${formatShape(window.shape)} it fills`);
  }
  base.backend.kernels.copy(src.layout(), window.layout());
}

/**
 * A copy of `base` with the slice `start:end:step` of `dim` replaced by `src`
 * (`torch.slice_scatter`). It is how the gradient of `slice` is built.
 *
 * ```ts
 * sliceScatter(zeros([4]), ones([2]), 0, 1, 3); // tensor([0, 1, 1, 0])
 * ```
 */
export function sliceScatter(base: Tensor, src: Tensor, dim: number, start?: number, end?: number, step = 1): Tensor {
  const out = clone(base);
  const window = slice(out, dim, start, end, step);
  writeInto('sliceScatter', out, window, src.cast(out.dtype));
  window.dispose();
  return recordOp('sliceScatter', [base, src], out, { dim, start, end, step });
}

/** A copy of `base` with index `index` of `dim` replaced by `src` (`torch.select_scatter`). */
export function selectScatter(base: Tensor, src: Tensor, dim: number, index: number): Tensor {
  const out = clone(base);
  const window = select(out, dim, index);
  writeInto('selectScatter', out, window, src.cast(out.dtype));
  window.dispose();
  return recordOp('selectScatter', [base, src], out, { dim, index });
}
