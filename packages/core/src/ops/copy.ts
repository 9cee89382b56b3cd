import type { DType } from '../dtype.js';
import { recordOp } from '../gradient-hook.js';
import type { Tensor } from '../tensor.js';

/** A copy of `x` as `dtype` (floats truncate toward zero into int32; nonzero becomes true in bool); `x` itself if already of that dtype. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const out = x.newZeros(x.shape, dtype);
  x.backend.kernels.copy(x.layout(), out.layout());
  return recordOp('cast', [x], out);
}

/** `x` if its elements are row-major contiguous, else a contiguous copy. */
export function contiguous(x: Tensor): Tensor {
  return x.isContiguous() ? x : clone(x);
}

/** A contiguous copy of `x` with its own storage. */
export function clone(x: Tensor): Tensor {
  const out = x.newZeros(x.shape, x.dtype);
  x.backend.kernels.copy(x.layout(), out.layout());
  return recordOp('clone', [x], out);
}
